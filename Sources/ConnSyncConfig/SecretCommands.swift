import ConnSyncModel
import ConnSyncProcess
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
    private var known: Set<String> = []
    /// Held while a command runs: two documents naming one ARGV never run it twice, even
    /// when checked on two threads.
    private let running = NSLock()

    public init(environment: [String: String], timeout: Duration = .seconds(10)) {
        self.environment = environment
        self.timeout = timeout
    }

    /// How many commands actually ran (the cache is per load).
    public var runCount: Int { lock.withLock { runs } }

    /// Remembers a value resolved some other way, to redact it from command errors.
    func remember(_ value: String) {
        lock.withLock { _ = known.insert(value) }
    }

    /// The value `argv` prints, running it at most once per load.
    func value(of argv: [String]) throws(SecretResolutionError) -> String {
        running.lock()
        defer { running.unlock() }
        if let cached = lock.withLock({ results[argv] }) { return try cached.get() }
        let result = Result { () throws(SecretResolutionError) -> String in try run(argv) }
        lock.withLock {
            results[argv] = result
            runs += 1
            if case .success(let value) = result { known.insert(value) }
        }
        return try result.get()
    }

    private func run(_ argv: [String]) throws(SecretResolutionError) -> String {
        let name = argv.first ?? ""
        guard let executable = ChildProcess.executable(name, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            throw .commandFailed(command: name, reason: "not found (searched PATH)")
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable, Array(argv.dropFirst()), environment: environment)
        } catch {
            throw .commandFailed(command: name, reason: "could not be started")
        }
        let out = PipeReader(child.output, limit: Self.maximumOutput + 1)
        let err = PipeReader(child.errors, limit: Self.maximumErrorOutput)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        // The command is done when its stdout closes and it exits: both within one deadline.
        let deadline = ContinuousClock.now + timeout
        guard let stdout = out.wait(timeout: .now() + seconds) else {
            child.signal(SIGKILL)
            _ = child.wait()
            throw .commandTimedOut(command: name, seconds: seconds)
        }
        while child.isRunning {
            guard ContinuousClock.now < deadline else {
                child.signal(SIGKILL)
                _ = child.wait()
                throw .commandTimedOut(command: name, seconds: seconds)
            }
            usleep(2_000)
        }
        let stderr = err.wait(timeout: .now() + 1) ?? Data()
        switch child.wait() {
        case .exited(0):
            break
        case .exited(let status):
            throw .commandFailed(command: name, reason: "exited \(status)" + firstLine(of: stderr, hiding: stdout))
        case .signalled(let signal):
            throw .commandFailed(command: name, reason: "was killed by signal \(signal)" + firstLine(of: stderr, hiding: stdout))
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
        var secrets = lock.withLock { Array(known) }
        // What it printed, whole and line by line (a line of it may come back on stderr).
        let printed = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !printed.isEmpty { secrets.append(printed) }
        secrets += printed.split(whereSeparator: \.isNewline).map(String.init)
        return ": " + VendorText.clean(line, redactor: Redactor(secrets: secrets))
    }
}
