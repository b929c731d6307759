import ConnSyncCLI

/// The `connsync` executable: hands the command line to ConnSyncCLI's root command.
@main
enum EntryPoint {
    static func main() async {
        await ConnSyncCommand.main()
    }
}
