import Foundation

/// Wall and CPU time of something measured.
struct Timing {
    var wall: Duration
    /// User + system CPU.
    var cpu: Duration

    static let zero = Timing(wall: .zero, cpu: .zero)
}

/// CPU used by this process's reaped children so far (`getrusage(RUSAGE_CHILDREN)`).
func childrenCPU() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

func duration(_ time: timeval) -> Duration {
    .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
}

/// Peak resident set size of the largest reaped child, in MiB.
func childrenPeakRSS() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Int(usage.ru_maxrss) / 1024
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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let collected = Collected()
    let readers = [
        Thread { collected.set(out: readAll(output.fileHandleForReading)) }, Thread { collected.set(err: readAll(errors.fileHandleForReading)) },
    ]
    let clock = ContinuousClock()
    let cpuBefore = childrenCPU()
    let start = clock.now
    try process.run()
    for reader in readers { reader.start() }
    process.waitUntilExit()
    let wall = start.duration(to: clock.now)
    let cpu = childrenCPU() - cpuBefore
    collected.wait(for: 2)
    return CommandResult(
        status: process.terminationStatus, output: collected.out, errors: collected.err, timing: Timing(wall: wall, cpu: cpu))
}

/// Both outputs of a child, filled by two reader threads.
final class Collected: @unchecked Sendable {
    private let lock = NSCondition()
    private var parts: [String: String] = [:]

    var out: String { lock.withLock { parts["out"] ?? "" } }
    var err: String { lock.withLock { parts["err"] ?? "" } }

    func set(out text: String) { set("out", text) }
    func set(err text: String) { set("err", text) }

    private func set(_ key: String, _ text: String) {
        lock.lock()
        parts[key] = text
        lock.broadcast()
        lock.unlock()
    }

    func wait(for count: Int) {
        lock.lock()
        while parts.count < count { lock.wait() }
        lock.unlock()
    }
}

/// Everything from `handle` up to the end (read(2), retried on EINTR).
func readAll(_ handle: FileHandle) -> String {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        data.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: data, as: UTF8.self)
}

/// `connsync emulator` in a process of its own, stopped with SIGTERM.
final class EmulatorProcess {
    let process: Process
    let baseURL: String

    init(connsync: String, latencyMilliseconds: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: connsync)
        process.arguments = ["emulator", "--port", "0", "--latency-ms", String(latencyMilliseconds)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !line.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { read(output.fileHandleForReading.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            line.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else {
            process.terminate()
            throw BenchError("the emulator did not start: \(text)")
        }
        baseURL = text[range.lowerBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// CPU the emulator used so far.
    var cpu: Duration { processCPU(process.processIdentifier) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
