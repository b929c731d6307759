import ConnSyncModel
import Foundation

/// Runs `{fromCommand: [ARGV...]}` (config-format v1.1): ARGV without a shell, the
/// environment inherited, stdin empty, a deadline, stdout (one trailing newline trimmed,
/// at most 1 MiB) as the value. Each distinct ARGV runs once per load of the desired state
/// (this value is made per load): a failure is remembered too, so a broken vault is asked
/// once, not once per document.
public final class SecretCommands: @unchecked Sendable {
    /// The most a command may print.
    public static let maximumOutput = 1 << 20
    /// The most of a command's stderr kept (only its first line is ever shown).
    static let maximumErrorOutput = 64 << 10

    let environment: [String: String]
    let timeout: Duration
    private let lock = NSLock()
    private var results: [[String]: Result<String, SecretResolutionError>] = [:]
    private var runs = 0
    /// Values resolved in this load: kept out of what a failing command says.
    private var known: [String] = []

    public init(environment: [String: String], timeout: Duration = .seconds(10)) {
        self.environment = environment
        self.timeout = timeout
    }

    /// How many commands actually ran (the cache is per load).
    public var runCount: Int { lock.withLock { runs } }

    /// Remembers a value resolved some other way, to redact it from command errors.
    func remember(_ value: String) {
        lock.withLock { known.append(value) }
    }

    /// The value `argv` prints, running it at most once per load.
    func value(of argv: [String]) throws(SecretResolutionError) -> String {
        if let cached = lock.withLock({ results[argv] }) { return try cached.get() }
        let result = Result { () throws(SecretResolutionError) -> String in try run(argv) }
        lock.withLock {
            results[argv] = result
            runs += 1
            if case .success(let value) = result { known.append(value) }
        }
        return try result.get()
    }

    private func run(_ argv: [String]) throws(SecretResolutionError) -> String {
        let name = argv.first ?? ""
        guard let executable = Self.executable(name, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            throw .commandFailed(command: name, reason: "not found (searched PATH)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let out = BoundedReader(output.fileHandleForReading, limit: Self.maximumOutput + 1)
        let err = BoundedReader(errors.fileHandleForReading, limit: Self.maximumErrorOutput)
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw .commandFailed(command: name, reason: "could not be started")
        }
        out.start()
        err.start()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if finished.wait(timeout: .now() + seconds) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            throw .commandTimedOut(command: name, seconds: seconds)
        }
        let stdout = out.wait()
        let stderr = err.wait()
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            let status = process.terminationReason == .exit ? "exited \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
            throw .commandFailed(command: name, reason: status + firstLine(of: stderr, hiding: stdout))
        }
        guard stdout.count <= Self.maximumOutput else {
            throw .commandFailed(command: name, reason: "printed more than \(Self.maximumOutput >> 20) MiB")
        }
        guard let text = String(data: stdout, encoding: .utf8) else {
            throw .commandFailed(command: name, reason: "printed something that is not UTF-8 text")
        }
        return StandardSecretResolver.trimmingOneNewline(text)
    }

    /// `: <the first line of stderr>`, with every secret known to this load (and whatever the
    /// command printed on stdout) redacted, control characters escaped, bounded; "" without one.
    private func firstLine(of stderr: Data, hiding stdout: Data) -> String {
        let text = String(decoding: stderr, as: UTF8.self)
        guard let line = text.split(whereSeparator: \.isNewline).first.map(String.init), !line.isEmpty else { return "" }
        var secrets = lock.withLock { known }
        let printed = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !printed.isEmpty { secrets.append(printed) }
        return ": " + VendorText.clean(line, redactor: Redactor(secrets: secrets))
    }

    /// `name` when it holds a `/`, else the first executable file of that name on `path`.
    static func executable(_ name: String, path: String) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for folder in path.split(separator: ":").prefix(64) where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Reads a pipe to its end on a thread of its own, keeping at most `limit` bytes (the rest
/// is drained, so the writer never blocks).
final class BoundedReader: @unchecked Sendable {
    private let handle: FileHandle
    private let limit: Int
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle, limit: Int) {
        self.handle = handle
        self.limit = limit
    }

    func start() {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                if data.count < limit { data.append(contentsOf: buffer[0..<min(count, limit - data.count)]) }
            }
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
