import Foundation

/// Writes to the terminal: results to stdout, logs and progress to stderr (cli.md).
/// The only place that prints.
public struct Console: Sendable {
    public let stdoutIsTerminal: Bool
    public let stderrIsTerminal: Bool
    public let stdinIsTerminal: Bool
    private let lock = ConsoleLock()

    public init() {
        stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
        stderrIsTerminal = isatty(STDERR_FILENO) == 1
        stdinIsTerminal = isatty(STDIN_FILENO) == 1
    }

    /// Writes `text` to stdout as is.
    public func write(_ text: String) {
        lock.withLock { FileHandle.standardOutput.write(Data(text.utf8)) }
    }

    /// Writes a line to stdout.
    public func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Writes a line to stderr.
    public func error(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }

    /// Writes to stderr without a newline (progress lines).
    public func errorRaw(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data(text.utf8)) }
    }
}

final class ConsoleLock: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
