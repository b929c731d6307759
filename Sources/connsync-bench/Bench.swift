import ArgumentParser
import AsyncHTTPClient
import ConnSyncModel
import ConnSyncProviders
import Foundation

/// `connsync-bench`: times what users run. `connsync validate`, `plan` and `apply` run as
/// processes (process start and loading included) against `connsync emulator` in a process
/// of its own, over desired state in one file and in one file per connection; wall and CPU
/// (user + system, wait4) and peak RSS of each, the emulator's CPU alongside, and the
/// per-resource baseline in the same run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connsync-bench",
        abstract: "Time connsync validate, plan and apply as processes against the emulator, and a per-resource baseline.",
        discussion: "Build with `make release` (or run `make bench`) for meaningful numbers.")

    @Option(name: .long, help: "Sizes to measure, comma-separated (connections, spread over the benchmarked vendors).")
    var sizes: String = "5000,20000,50000"

    @Option(name: .customLong("latency-ms"), help: "Emulator latency per request, in milliseconds.")
    var latencyMilliseconds: Int = 10

    @Option(name: .long, help: "Requests in flight per provider.")
    var concurrency: Int = ProviderConfig.defaultConcurrency

    @Option(name: .customLong("baseline-in-flight"), help: "Requests in flight of the per-resource baseline (0 skips it).")
    var baselineInFlight: Int = 10

    @Option(name: .customLong("baseline-max"), help: "Run the baseline only at sizes up to this (it is one GET per connection).")
    var baselineMaximum: Int = 5_000

    @Option(name: .customLong("plan-runs"), help: "Converged plans timed per size and layout; the median is reported with the range.")
    var planRuns: Int = 5

    @Option(name: .customLong("apply-runs"), help: "Applies of every connection changed, per size and layout (the host moves back and forth).")
    var applyRuns: Int = 3

    @Option(name: .long, help: ArgumentHelp("The connsync binary (default: next to this one).", valueName: "PATH"))
    var connsync: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write the first size's fixture (one-file/, per-connection/, seed.json for POST /_emulator/seed) under DIR and exit, for profiling one command.",
            valueName: "DIR"))
    var export: String?

    var sizeList: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !sizeList.isEmpty, sizeList.allSatisfy({ $0 >= 10 }), latencyMilliseconds >= 0, concurrency >= 1, baselineInFlight >= 0, planRuns >= 1, applyRuns >= 1
        else {
            throw ValidationError("use sizes of at least 10 connections, a latency of 0 ms or more, a concurrency and plan runs of 1 or more")
        }
    }

    func run() async throws {
        if let export {
            try exportFixture(to: URL(fileURLWithPath: export))
            return
        }
        let binary = connsync ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("connsync").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no connsync binary at \(binary): build it (make release) or pass --connsync PATH")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("connsync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let emulator = try EmulatorProcess(connsync: binary, latencyMilliseconds: latencyMilliseconds)
        defer { emulator.stop() }
        let vendors = Fixture.vendors
        print(
            "connsync-bench · sizes \(sizeList.map(String.init).joined(separator: ", ")) over \(vendors.definitions.count) vendors"
                + " · emulator latency \(latencyMilliseconds) ms · \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let admin = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            var report = Report(latency: .milliseconds(latencyMilliseconds), inFlight: min(64, concurrency * vendors.definitions.count))
            for size in sizeList {
                let fixture = Fixture(vendors: vendors, count: size, base: emulator.baseURL, concurrency: concurrency)
                let session = Session(
                    binary: binary, work: work, emulator: emulator, admin: admin, fixture: fixture,
                    // The emulator takes bodies up to 16 MiB, and seeding appends.
                    seed: Session.batches(of: fixture.seed(host: Session.host), size: 2_000), planRuns: planRuns, applyRuns: applyRuns)
                var measured = SizeFigures(size: size, layouts: [], baseline: nil)
                for layout in Fixture.Layout.allCases { measured.layouts.append(try await session.measure(layout)) }
                if baselineInFlight > 0, size <= baselineMaximum { measured.baseline = try await session.baseline(inFlight: baselineInFlight) }
                report.sizes.append(measured)
                print(report.render(measured))
            }
            print(report.verdicts())
        } catch {
            try? await admin.shutdown()
            throw error
        }
        try await admin.shutdown()
    }
}

extension Bench {
    /// The fixture of the first size, against the emulator at $CONNSYNC_BENCH_BASE (default http://127.0.0.1:8089): both layouts and the seed.
    func exportFixture(to folder: URL) throws {
        let vendors = Fixture.vendors
        let base = ProcessInfo.processInfo.environment["CONNSYNC_BENCH_BASE"] ?? "http://127.0.0.1:8089"
        let fixture = Fixture(vendors: vendors, count: sizeList[0], base: base, concurrency: concurrency)
        for layout in Fixture.Layout.allCases {
            try fixture.write(to: folder.appendingPathComponent(layout.rawValue), layout: layout, host: Session.host)
        }
        // The seed and the variables hold the fixture's secrets: owner-only files, never printed.
        try PrivateFile.write(fixture.seed(host: Session.host).jsonData(secrets: .reveal), to: folder.appendingPathComponent("seed.json").path)
        let variables = Fixture.environment.sorted { $0.key < $1.key }.map { "export \($0.key)='\($0.value)'\n" }.joined()
        try PrivateFile.write(Data(variables.utf8), to: folder.appendingPathComponent("env.sh").path)
        print("wrote \(folder.path): one-file/, per-connection/, seed.json, env.sh (source it for the fixture's variables); emulator at \(base)")
    }

}
