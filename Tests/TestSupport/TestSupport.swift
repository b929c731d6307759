import ConnSyncModel
import ConnSyncProcess
import Foundation

// Shared helpers for every test target: temporary folders, running processes
// (the built `connsync` binary, `git`), background servers, and the secret-leak check.

/// A fresh, empty folder under the system temp dir; removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "connsync-test") throws {
        let base = FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A folder at `url` (created when missing), e.g. a source inside another temporary folder.
    public init(url: URL) {
        self.url = url
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// Writes `contents` to `relativePath` (creating folders) and returns its URL.
    @discardableResult
    public func write(_ contents: String, to relativePath: String) throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
        return file
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `body` with a fresh temporary directory, removing it afterwards.
public func withTemporaryDirectory<T>(
    prefix: String = "connsync-test",
    _ body: (TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory(prefix: prefix)
    defer { directory.remove() }
    return try await body(directory)
}

/// What a finished process printed and returned.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var description: String {
        "exit \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

public enum TestSupportError: Error, CustomStringConvertible {
    case timeout(String)
    case notFound(String)
    case failed(String)

    public var description: String {
        switch self {
        case .timeout(let what): return "timed out: \(what)"
        case .notFound(let what): return "not found: \(what)"
        case .failed(let what): return "failed: \(what)"
        }
    }
}

/// The next bytes from `handle`, or nil at the end. read(2) directly, retried on EINTR:
/// FileHandle.availableData traps on EINTR, and signals (SIGCHLD, the Ctrl-C tests) do
/// reach the test process.
public func readChunk(_ handle: FileHandle, maxCount: Int = 64 * 1024) -> Data? {
    var buffer = [UInt8](repeating: 0, count: maxCount)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        return count > 0 ? Data(buffer[0..<count]) : nil
    }
}

/// Everything from `handle` up to the end.
public func readToEnd(_ handle: FileHandle) -> Data {
    var data = Data()
    while let chunk = readChunk(handle) { data.append(chunk) }
    return data
}

/// Collects bytes from a pipe on a background thread (no busy waiting, no deadlock on full pipes).
final class PipeCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    private var lineHandler: (@Sendable (String) -> Void)?
    private var pendingLine = Data()

    init(_ handle: FileHandle, onLine: (@Sendable (String) -> Void)? = nil) {
        lineHandler = onLine
        let thread = Thread { [self] in
            while let chunk = readChunk(handle) {
                lock.lock()
                data.append(chunk)
                var lines: [String] = []
                if lineHandler != nil {
                    pendingLine.append(chunk)
                    while let newline = pendingLine.firstIndex(of: 0x0A) {
                        lines.append(String(decoding: pendingLine[pendingLine.startIndex..<newline], as: UTF8.self))
                        pendingLine.removeSubrange(pendingLine.startIndex...newline)
                    }
                }
                let handler = lineHandler
                lock.unlock()
                for line in lines { handler?(line) }
            }
            done.signal()
        }
        thread.start()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    func wait() {
        done.wait()
        done.signal()
    }
}

/// The current environment with `environment` applied (a `nil` value removes the variable).
public func mergedEnvironment(_ environment: [String: String?]) -> [String: String] {
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    return merged
}

/// Exit status as Foundation's `Process.terminationStatus` gave it: the code, or the signal.
func status(_ termination: ChildProcess.Termination) -> Int32 {
    switch termination {
    case .exited(let code): return code
    case .signalled(let signal): return signal
    }
}

/// Runs a program to completion. `environment` entries are added to (and override) the
/// current environment; a `nil` value removes the variable.
public func runProcess(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String?] = [:],
    currentDirectory: String? = nil,
    stdin: String? = nil,
    timeout: TimeInterval = 120
) async throws -> ProcessResult {
    let child = try ChildProcess.spawn(
        executable, arguments, environment: mergedEnvironment(environment), directory: currentDirectory, writesInput: stdin != nil)
    let out = PipeCollector(child.output)
    let err = PipeCollector(child.errors)
    if let stdin, let input = child.input {
        input.write(Data(stdin.utf8))
        try? input.close()
    }
    let deadline = Date().addingTimeInterval(timeout)
    while child.isRunning {
        if Date() > deadline {
            child.signal(SIGTERM)
            throw TestSupportError.timeout("\(executable) \(arguments.joined(separator: " "))")
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    out.wait()
    err.wait()
    return ProcessResult(status: status(child.wait()), stdout: out.text, stderr: err.text)
}

/// A long-running child process (an emulator, a controller) whose output is collected.
public final class BackgroundProcess: @unchecked Sendable {
    public let child: ChildProcess
    private let out: PipeCollector
    private let err: PipeCollector
    private let lineBox: LineBox

    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String?] = [:],
        currentDirectory: String? = nil
    ) throws {
        child = try ChildProcess.spawn(executable, arguments, environment: mergedEnvironment(environment), directory: currentDirectory)
        let box = LineBox()
        out = PipeCollector(child.output, onLine: { box.append($0) })
        err = PipeCollector(child.errors, onLine: { box.append($0) })
        lineBox = box
    }

    public var pid: pid_t { child.pid }
    public var isRunning: Bool { child.isRunning }
    /// The exit status once it ended (Foundation's convention: the code, or the signal).
    public var terminationStatus: Int32 { status(child.wait()) }

    public var stdout: String { out.text }
    public var stderr: String { err.text }

    /// Waits until a line of stdout or stderr satisfies `match`, returning it.
    public func waitForLine(timeout: TimeInterval = 30, where match: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lineBox.all.first(where: match) { return line }
            if !child.isRunning {
                try await Task.sleep(nanoseconds: 50_000_000)
                if let line = lineBox.all.first(where: match) { return line }
                throw TestSupportError.failed("process exited (\(terminationStatus)) before the expected line\n\(stdout)\n\(stderr)")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw TestSupportError.timeout("waiting for a line; output so far:\n\(stdout)\n\(stderr)")
    }

    /// Waits for `listening on http://127.0.0.1:PORT` and returns the base URL.
    public func waitForListeningURL(timeout: TimeInterval = 30) async throws -> String {
        let line = try await waitForLine(timeout: timeout) { $0.contains("listening on http://") }
        guard let range = line.range(of: "http://") else { throw TestSupportError.failed(line) }
        return String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
    }

    /// Waits for the process to exit by itself (killed after `timeout`): its status and outputs.
    public func wait(timeout: TimeInterval = 90) async throws -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning {
            if Date() > deadline {
                child.signal(SIGKILL)
                throw TestSupportError.timeout("process did not exit within \(timeout) s")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        out.wait()
        err.wait()
        return ProcessResult(status: terminationStatus, stdout: out.text, stderr: err.text)
    }

    /// Sends `signal` (default SIGTERM) and waits for the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 30) async throws -> Int32 {
        child.signal(signal)
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning {
            if Date() > deadline {
                child.signal(SIGKILL)
                throw TestSupportError.timeout("process did not exit after signal \(signal)")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        out.wait()
        err.wait()
        return terminationStatus
    }

    deinit {
        child.signal(SIGKILL)
    }
}

final class LineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

/// Where the built `connsync` executable is: `$CONNSYNC_BIN`, else next to the test bundle.
public func connsyncBinaryPath() throws -> String {
    if let explicit = ProcessInfo.processInfo.environment["CONNSYNC_BIN"], !explicit.isEmpty {
        return explicit
    }
    var candidates: [URL] = []
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = testBinary.deletingLastPathComponent()
    for _ in 0..<5 {
        candidates.append(folder.appendingPathComponent("connsync"))
        folder = folder.deletingLastPathComponent()
    }
    for bundle in Bundle.allBundles {
        candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("connsync"))
    }
    for candidate in candidates {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
            FileManager.default.isExecutableFile(atPath: candidate.path)
        {
            return candidate.path
        }
    }
    throw TestSupportError.notFound("the connsync executable (build it with `swift build`, or set CONNSYNC_BIN)")
}

/// Runs the built `connsync` with `arguments`.
public func runConnsync(
    _ arguments: [String],
    environment: [String: String?] = [:],
    currentDirectory: String? = nil,
    stdin: String? = nil,
    timeout: TimeInterval = 120
) async throws -> ProcessResult {
    try await runProcess(
        try connsyncBinaryPath(), arguments, environment: environment, currentDirectory: currentDirectory, stdin: stdin,
        timeout: timeout)
}

/// Runs `git` (for building fixture repositories in tests; connsync itself never shells out to git).
@discardableResult
public func git(_ arguments: [String], in directory: String, environment: [String: String?] = [:]) async throws -> String {
    var env: [String: String?] = [
        "GIT_AUTHOR_NAME": "connsync tests", "GIT_AUTHOR_EMAIL": "tests@connsync.invalid",
        "GIT_COMMITTER_NAME": "connsync tests", "GIT_COMMITTER_EMAIL": "tests@connsync.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": directory,
    ]
    for (key, value) in environment { env[key] = value }
    let result = try await runProcess("/usr/bin/git", arguments, environment: env, currentDirectory: directory)
    guard result.status == 0 else { throw TestSupportError.failed("git \(arguments.joined(separator: " ")): \(result)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The secret values found in `text` (an empty result means nothing leaked).
public func leakedSecrets(in text: String, secrets: [String]) -> [String] {
    secrets.filter { !$0.isEmpty && text.contains($0) }
}

/// The Provider settings the tests' providers carry: a user id, and the product or project
/// the vendors that need one read.
public func testSettings(_ type: VendorType) -> [String: String] {
    var settings = ["userId": "u1"]
    if type == "lerian-reporter" { settings["productName"] = "reporting" }
    if type == "credible-data" { settings["project"] = "analytics" }
    return settings
}
