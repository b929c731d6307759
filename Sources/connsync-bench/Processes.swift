import ConnSyncProcess
import Foundation

/// Wall and CPU time of something measured, and its peak memory.
struct Timing {
    var wall: Duration
    /// User + system CPU.
    var cpu: Duration
    /// Peak resident set size, in MiB (0 when not measured).
    var peakMiB: Int = 0
    /// When the process started, in seconds since 1970.
    var startedAt: Double = 0
}

/// CPU a running process used so far, from `/proc/PID/stat` (utime + stime).
func processCPU(_ pid: Int32) -> Duration {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return .zero }
    // Fields after the command name: state is field 3, utime 14, stime 15.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return .zero }
    let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
    return .milliseconds((user + system) * 1000 / max(1, ticks))
}

/// What a `connsync` command printed and how it ended.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String
    var timing: Timing
}

/// Runs `executable arguments` to the end, timing it as a user would (process start to exit).
func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> CommandResult {
    let clock = ContinuousClock()
    let startedAt = Date().timeIntervalSince1970
    let start = clock.now
    let child = try ChildProcess.spawn(
        executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    let out = PipeReader(child.output)
    let err = PipeReader(child.errors)
    let termination = child.wait()
    let wall = start.duration(to: clock.now)
    // This child's own figures, from wait4.
    let usage = child.usage
    let status: Int32
    switch termination {
    case .exited(let code): status = code
    case .signalled(let signal): status = 128 + signal
    }
    return CommandResult(
        status: status, output: String(decoding: out.wait(), as: UTF8.self), errors: String(decoding: err.wait(), as: UTF8.self),
        timing: Timing(wall: wall, cpu: usage?.cpu ?? .zero, peakMiB: (usage?.maximumResidentKiB ?? 0) / 1024, startedAt: startedAt))
}

/// `connsync emulator` in a process of its own, stopped with SIGTERM.
final class EmulatorProcess {
    let child: ChildProcess
    let baseURL: String

    init(connsync: String, latencyMilliseconds: Int) throws {
        let child = try ChildProcess.spawn(
            connsync, ["emulator", "--port", "0", "--latency-ms", String(latencyMilliseconds)], environment: ProcessInfo.processInfo.environment)
        self.child = child
        var line = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !line.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { read(child.output.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            line.append(contentsOf: buffer[0..<count])
        }
        // The rest of its output is drained, so that it never blocks on a full pipe.
        _ = PipeReader(child.output, limit: 0)
        _ = PipeReader(child.errors, limit: 0)
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else {
            child.signal(SIGKILL)
            throw BenchError("the emulator did not start: \(text)")
        }
        baseURL = text[range.lowerBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// CPU the emulator used so far.
    var cpu: Duration { processCPU(child.pid) }

    func stop() {
        guard child.isRunning else { return }
        child.signal(SIGTERM)
        _ = child.wait()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
