import ConnSyncCLI
import Foundation

/// The `connsync` executable: hands the command line to ConnSyncCLI's root command.
@main
enum EntryPoint {
    static func main() async {
        MallocArenas.limitThisProcess(environment: ProcessInfo.processInfo.environment)
        await ConnSyncCommand.main()
    }
}
