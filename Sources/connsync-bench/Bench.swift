import ArgumentParser
import AsyncHTTPClient
import ConnSyncModel
import ConnSyncProviders
import Foundation

/// `connsync-bench`: times what users run. `connsync validate`, `plan` and `apply` run as
/// processes (process start and loading included) against `connsync emulator` in a process
/// of its own, over desired state in one file and in one file per connection; wall and CPU
/// (user + system) of each, the emulator's CPU alongside, and the per-resource baseline in
/// the same run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connsync-bench",
        abstract: "Time connsync validate, plan and apply as processes against the emulator, and a per-resource baseline.",
        discussion: "Build with `swift build -c release` (or run `make bench`) for meaningful numbers.")

    @Option(name: .long, help: "Connections, spread over every vendor.")
    var connections: Int = 5_000

    @Option(name: .customLong("latency-ms"), help: "Emulator latency per request, in milliseconds.")
    var latencyMilliseconds: Int = 10

    @Option(name: .long, help: "Requests in flight per provider.")
    var concurrency: Int = ProviderConfig.defaultConcurrency

    @Option(name: .customLong("baseline-in-flight"), help: "Requests in flight of the per-resource baseline (0 skips it).")
    var baselineInFlight: Int = 10

    @Option(name: .customLong("plan-runs"), help: "Converged plans timed per layout; the median is reported with the range.")
    var planRuns: Int = 5

    @Option(name: .long, help: ArgumentHelp("The connsync binary (default: next to this one).", valueName: "PATH"))
    var connsync: String?

    func validate() throws {
        guard connections >= 10, latencyMilliseconds >= 0, concurrency >= 1, baselineInFlight >= 0, planRuns >= 1 else {
            throw ValidationError("use at least 10 connections, a latency of 0 ms or more, a concurrency and plan runs of 1 or more")
        }
    }

    func run() async throws {
        let binary = connsync ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("connsync").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no connsync binary at \(binary): build it (swift build -c release) or pass --connsync PATH")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("connsync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let emulator = try EmulatorProcess(connsync: binary, latencyMilliseconds: latencyMilliseconds)
        defer { emulator.stop() }
        // The vendors the benchmark spreads its connections over (see VendorSamples.benchmarked).
        let vendors = VendorRegistry(VendorRegistry.standard.definitions.filter(\.samples.benchmarked))
        print(
            "connsync-bench · \(connections) connections over \(vendors.definitions.count) vendors · emulator latency \(latencyMilliseconds) ms"
                + " · \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print()
        let fixture = Fixture(vendors: vendors, count: connections, base: emulator.baseURL, concurrency: concurrency)
        let admin = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await measure(Session(binary: binary, work: work, emulator: emulator, admin: admin, fixture: fixture, planRuns: planRuns))
        } catch {
            try? await admin.shutdown()
            throw error
        }
        try await admin.shutdown()
    }

    func measure(_ session: Session) async throws {
        let vendors = session.fixture.vendors
        var table = Table()
        for layout in Fixture.Layout.allCases {
            try await session.measure(layout, into: &table)
        }
        if baselineInFlight > 0 {
            let baseline = try await session.baseline(inFlight: baselineInFlight)
            table.add(
                "baseline: one GET per connection, \(baselineInFlight) in flight", baseline.timing, requests: "\(connections) GETs",
                note: "")
            for layout in Fixture.Layout.allCases {
                if let plan = table.planWall[layout] {
                    table.verdicts.append(
                        Table.verdict(
                            "plan (\(layout.rawValue)) at least 30× faster than the baseline: \(String(format: "%.0f×", Table.ratio(baseline.timing.wall, plan)))",
                            Table.ratio(baseline.timing.wall, plan) >= 30))
                }
            }
        }
        let inFlight = min(64, concurrency * vendors.definitions.count)
        let bound = Duration.milliseconds(latencyMilliseconds) * connections / inFlight
        if let apply = table.applyWall {
            table.verdicts.append(
                Table.verdict(
                    "apply within 1.3× of N × latency / in-flight (\(Table.format(bound))): \(String(format: "%.2f×", Table.ratio(apply, bound)))",
                    Table.ratio(apply, bound) <= 1.3))
        }
        print(table.render())
    }
}
