import ConnSyncCLI

/// The `connsync` executable: hands the command line to ConnSyncCLI's root command.
@main
enum EntryPoint {
    static func main() async {
        #if os(Linux)
            // Heaps grow 8 MiB at a time: loading on every core otherwise grows each thread's
            // arena a few pages per `mprotect` (2,000 calls for 5,000 files, measured). Address
            // space only: pages count in RSS once they are touched.
            _ = glibcMallopt(mallocTopPad, 8 << 20)
        #endif
        await ConnSyncCommand.main()
    }
}

#if os(Linux)
    /// `M_TOP_PAD` of glibc's malloc.h (a macro; Swift's Glibc module does not bring in malloc.h).
    private let mallocTopPad: Int32 = -2

    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
