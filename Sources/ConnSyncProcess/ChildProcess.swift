import CProcessSpawn
import Foundation

/// A child process, started with posix_spawn (not Foundation's `Process`, whose scan of
/// `/proc/self/fd` before every spawn over-reads a dirent and crashes now and then on the
/// Foundation of Swift 6.3). The child gets its three standard descriptors and nothing
/// else, every signal at its default; the parent reads its output through pipes.
public final class ChildProcess: @unchecked Sendable {
    public enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
    }

    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        public var executable: String
        public var code: Int32

        public var description: String {
            "cannot start \(executable): \(String(cString: strerror(code)))"
        }
    }

    /// What the child used, once it ended (from wait4).
    public struct Usage: Sendable, Hashable {
        /// User + system CPU.
        public var cpu: Duration
        /// Peak resident set size, in KiB.
        public var maximumResidentKiB: Int
    }

    public let pid: pid_t
    /// The parent's ends: the child's stdin (nil when it reads /dev/null), stdout and stderr.
    public let input: FileHandle?
    public let output: FileHandle
    public let errors: FileHandle
    private let lock = NSLock()
    private var termination: Termination?
    private var used: Usage?

    private init(pid: pid_t, input: FileHandle?, output: FileHandle, errors: FileHandle) {
        self.pid = pid
        self.input = input
        self.output = output
        self.errors = errors
    }

    /// Starts `executable` (a path) with `arguments`, exactly `environment`, in `directory`.
    /// `writesInput`: whether the parent writes the child's stdin (else /dev/null).
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil, writesInput: Bool = false
    ) throws(SpawnError) -> ChildProcess {
        func pipePair() throws(SpawnError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard connsync_pipe_cloexec(&fds) == 0 else { throw SpawnError(executable: executable, code: errno) }
            return (fds[0], fds[1])
        }
        let stdout = try pipePair()
        let stderr = try pipePair()
        var stdin: (read: Int32, write: Int32)
        if writesInput {
            stdin = try pipePair()
        } else {
            stdin = (open("/dev/null", O_RDONLY | O_CLOEXEC), -1)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                connsync_spawn(&pid, executable, argvBuffer.baseAddress, envpBuffer.baseAddress, directory, stdin.read, stdout.write, stderr.write)
            }
        }
        // The child's ends belong to the child now.
        close(stdout.write)
        close(stderr.write)
        close(stdin.read)
        guard result == 0 else {
            close(stdout.read)
            close(stderr.read)
            if stdin.write >= 0 { close(stdin.write) }
            throw SpawnError(executable: executable, code: result)
        }
        return ChildProcess(
            pid: pid, input: stdin.write >= 0 ? FileHandle(fileDescriptor: stdin.write, closeOnDealloc: true) : nil,
            output: FileHandle(fileDescriptor: stdout.read, closeOnDealloc: true), errors: FileHandle(fileDescriptor: stderr.read, closeOnDealloc: true))
    }

    /// How it ended, or nil while it runs (never blocks).
    public func poll() -> Termination? {
        lock.lock()
        defer { lock.unlock() }
        if let termination { return termination }
        var status: Int32 = 0
        var usage = rusage()
        let reaped = wait4(pid, &status, WNOHANG, &usage)
        guard reaped == pid else { return nil }
        record(status, usage)
        return termination
    }

    private func record(_ status: Int32, _ usage: rusage) {
        termination = Self.termination(status)
        func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
        used = Usage(cpu: duration(usage.ru_utime) + duration(usage.ru_stime), maximumResidentKiB: Int(usage.ru_maxrss))
    }

    /// What it used (CPU, peak memory), once it ended; nil while it runs.
    public var usage: Usage? {
        _ = poll()
        return lock.withLock { used }
    }

    /// Waits until it ends.
    public func wait() -> Termination {
        while true {
            if let done = poll() { return done }
            var status: Int32 = 0
            var usage = rusage()
            let reaped = wait4(pid, &status, 0, &usage)
            if reaped == pid {
                lock.lock()
                defer { lock.unlock() }
                if termination == nil { record(status, usage) }
                return termination!
            }
            if reaped < 0, errno != EINTR { return poll() ?? .exited(-1) }
        }
    }

    public var isRunning: Bool { poll() == nil }

    /// Sends `signal` while it runs.
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    static func termination(_ status: Int32) -> Termination {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, written out (they are macros).
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}

/// Reads a pipe to its end on a thread of its own, keeping at most `limit` bytes (the rest is
/// drained, so the writer never blocks); read(2) directly, retried on EINTR.
public final class PipeReader: @unchecked Sendable {
    private let handle: FileHandle
    private let limit: Int
    private let onChunk: (@Sendable (Data) -> Void)?
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    public init(_ handle: FileHandle, limit: Int = .max, onChunk: (@Sendable (Data) -> Void)? = nil) {
        self.handle = handle
        self.limit = limit
        self.onChunk = onChunk
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                let chunk = Data(buffer[0..<count])
                lock.withLock { if data.count < limit { data.append(chunk.prefix(limit - data.count)) } }
                onChunk?(chunk)
            }
            done.signal()
        }.start()
    }

    /// What was read so far.
    public var text: String {
        lock.withLock { String(decoding: data, as: UTF8.self) }
    }

    /// Waits for the end of the pipe: everything read (up to the limit).
    public func wait() -> Data {
        done.wait()
        done.signal()
        return lock.withLock { data }
    }

    /// Waits at most `timeout` for the end of the pipe; nil when it did not come.
    public func wait(timeout: DispatchTime) -> Data? {
        guard done.wait(timeout: timeout) == .success else { return nil }
        done.signal()
        return lock.withLock { data }
    }
}

extension ChildProcess {
    /// The first executable file named `name` on `path` (colon-separated), or `name` itself
    /// when it holds a `/`.
    public static func executable(_ name: String, path: String) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for folder in path.split(separator: ":").prefix(64) where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
