import ArgumentParser
import ConnSyncConfig
import ConnSyncEngine
import ConnSyncGit
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation

/// `connsync bench`: measures local work, plan and apply against the emulator at a given
/// latency, a per-resource baseline, and reading desired state from a git commit.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure load/validate/plan, plan and apply against the emulator, and a per-resource baseline.",
        discussion: """
            Starts `connsync emulator --latency-ms N` as a child process, seeds it with --connections \
            connections spread over the five vendors, and prints a table: local work for --documents \
            documents (wall time, peak RSS), a converged plan (wall time, requests, the round-trip bound), \
            an apply with every connection changed (wall time, writes, N × latency / in-flight), a baseline \
            of one GET per connection with 10 in flight, and reading --git-files YAML files at a commit. \
            Build with `swift build -c release` (or run `make bench`) for meaningful numbers.
            """)

    @Option(name: .long, help: "Connections seeded at the emulator (spread over the five vendors).")
    var connections: Int = 5_000

    @Option(name: .long, help: "Documents for the local-work measurement.")
    var documents: Int = 10_000

    @Option(name: .customLong("latency-ms"), help: "Emulator latency per request, in milliseconds.")
    var latencyMilliseconds: Int = 10

    @Option(name: .customLong("git-files"), help: "YAML files in the git repository read at a commit (0: skip).")
    var gitFiles: Int = 10_000

    @Option(name: .long, help: "Requests in flight per provider.")
    var concurrency: Int = ProviderConfig.defaultConcurrency

    @Option(name: .customLong("baseline-in-flight"), help: "Requests in flight of the per-resource baseline.")
    var baselineInFlight: Int = 10

    @Option(name: .customLong("plan-runs"), help: "Converged plans measured; the median is reported.")
    var planRuns: Int = 11

    @Option(name: .long, help: "Phases to run, comma-separated: local, remote, git.")
    var phases: String = "local,remote,git"

    func validate() throws {
        guard connections >= 5, documents >= 10, latencyMilliseconds >= 0, concurrency >= 1, baselineInFlight >= 1, planRuns >= 1 else {
            throw ValidationError("use at least 5 connections, 10 documents, a latency of 0 ms or more, and concurrencies and plan runs of 1 or more")
        }
    }

    func run() async throws {
        let console = Console()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("connsync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        console.line("connsync bench · \(connections) connections over 5 vendors · emulator latency \(latencyMilliseconds) ms · \(ProcessInfo.processInfo.activeProcessorCount) cores")
        console.line()
        var rows: [[String]] = []
        var verdicts: [String] = []

        let selected = Set(phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        // 1. Local work, first, so peak RSS is this phase's.
        if selected.contains("local") {
            let local = try measureLocal(in: work.appendingPathComponent("local"))
            rows.append(["local: load + validate + plan, \(documents) documents", Self.format(local.wall), "-", "target < 1 s", "peak RSS \(local.peakRSS) MiB"])
            verdicts.append(Self.verdict("local work under 1 s", local.wall < .seconds(1)))
            verdicts.append(Self.verdict("local work under 150 MiB peak RSS", local.peakRSS < 150))
        }
        // 2-4. Against the emulator.
        if selected.contains("remote") {
            let emulator = try BackgroundChild.start(arguments: ["emulator", "--port", "0", "--latency-ms", String(latencyMilliseconds)])
            defer { emulator.stop() }
            let remote = try await measureRemote(base: emulator.baseURL, work: work)
            rows.append([
                "plan, converged (list pages only; median of \(planRuns))", Self.format(remote.plan), "\(remote.planRequests) GETs",
                "\(Self.format(remote.planBound)) (\(remote.planRounds) round trips)", String(format: "%.2f× bound", Self.ratio(remote.plan, remote.planBound)),
            ])
            rows.append([
                "apply, every connection changed", Self.format(remote.apply), "\(remote.applyWrites) writes",
                "\(Self.format(remote.applyBound)) (\(connections) × \(latencyMilliseconds) ms / \(remote.inFlight))",
                String(format: "%.2f× bound", Self.ratio(remote.apply, remote.applyBound)),
            ])
            rows.append([
                "baseline: one GET per connection, \(baselineInFlight) in flight", Self.format(remote.baseline), "\(remote.baselineRequests) GETs",
                "-", String(format: "baseline/plan = %.0f×", Self.ratio(remote.baseline, remote.plan)),
            ])
            rows.append(["second apply (converged)", "-", "\(remote.secondApplyWrites) writes", "0 writes", remote.secondApplyWrites == 0 ? "ok" : "NOT CONVERGED"])
            verdicts.append(Self.verdict("plan at least 30× faster than the per-resource baseline", Self.ratio(remote.baseline, remote.plan) >= 30))
            verdicts.append(Self.verdict("plan within 1.5× of the round-trip bound", Self.ratio(remote.plan, remote.planBound) <= 1.5))
            verdicts.append(Self.verdict("apply within 1.3× of N × latency / in-flight", Self.ratio(remote.apply, remote.applyBound) <= 1.3))
            verdicts.append(Self.verdict("a converged apply sends zero writes", remote.secondApplyWrites == 0))
        }
        // 5. Desired state from a git commit.
        if gitFiles > 0, selected.contains("git") {
            if let git = try await measureGit(in: work.appendingPathComponent("git")) {
                rows.append(["git: read \(gitFiles) YAML files at a commit", Self.format(git), "-", "-", "libgit2, no checkout"])
            } else {
                rows.append(["git: read \(gitFiles) YAML files at a commit", "skipped", "-", "-", "the git CLI is needed to build the fixture"])
            }
        }

        console.write(Table.render(header: ["PHASE", "WALL", "REQUESTS", "BOUND", "NOTE"], rows: rows))
        console.line()
        for verdict in verdicts { console.line(verdict) }
    }

    static func verdict(_ text: String, _ passed: Bool) -> String {
        (passed ? "PASS  " : "MISS  ") + text
    }

    static func ratio(_ a: Duration, _ b: Duration) -> Double {
        let denominator = seconds(b)
        return denominator > 0 ? seconds(a) / denominator : 0
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func format(_ duration: Duration) -> String {
        let value = seconds(duration)
        return value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.2f s", value)
    }

    /// Peak resident set size of this process, in MiB.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) / 1024
    }

    // MARK: - fixtures

    static let vendors: [(name: String, type: VendorType)] = [
        ("wm", .wiremockCloud), ("rep", .lerianReporter), ("cd", .credibleData), ("df", .datafor), ("wix", .wixData),
    ]

    /// The desired connections of the benchmark: round-robin over the five vendors.
    static func desired(count: Int, base: String, host: String, concurrency: Int) -> DesiredState {
        let providers = vendors.map { vendor in
            ProviderConfig(
                name: vendor.name, type: vendor.type, baseURL: vendor.type == .datafor ? base + "/datafor" : base,
                auth: vendor.type == .datafor
                    ? ProviderAuth(username: .resolved("bench"), password: .resolved("bench-password"))
                    : ProviderAuth(token: .resolved("bench-token")),
                userId: vendor.type == .wiremockCloud ? "bench" : nil, productName: vendor.type == .lerianReporter ? "bench" : nil,
                project: vendor.type == .credibleData ? "bench" : nil, concurrency: concurrency,
                rateLimit: RateLimit(count: 100_000, per: .second))
        }
        var connections: [DesiredConnection] = []
        for index in 0..<count {
            let vendor = vendors[index % vendors.count]
            let name = String(format: "conn-%05d", index)
            if vendor.type == .wixData {
                connections.append(
                    DesiredConnection(
                        address: Address(provider: vendor.name, name: name), vendor: vendor.type,
                        options: ["endpoint": .string("https://\(host)/adapter/\(index)"), "configuration": ["collections": ["orders"]]]))
            } else {
                connections.append(
                    DesiredConnection(
                        address: Address(provider: vendor.name, name: name), vendor: vendor.type,
                        fields: DatabaseFields(
                            engine: .postgresql, host: host, port: 5432, database: "db\(index % 50)", username: "app",
                            password: .resolved("bench-db-password", source: .environment("BENCH_DB_PASSWORD")))))
            }
        }
        return DesiredState(source: SourceInfo(kind: .directory, location: "bench"), providers: providers, databases: [], connections: connections)
    }

    /// The remote objects that hold exactly `desired` (what the vendor would return).
    static func remoteObjects(_ desired: DesiredState) -> [String: [(id: String, raw: Value)]] {
        var result: [String: [(id: String, raw: Value)]] = [:]
        for (index, connection) in desired.connections.enumerated() {
            guard let provider = desired.provider(named: connection.address.provider) else { continue }
            var raw = VendorMappings.mapping(for: provider.type).vendorObject(for: connection, provider: provider)
            let id = String(format: "0199b8f3-d17d-7d2b-a192-%012x", index)
            switch provider.type {
            case .wiremockCloud, .lerianReporter, .datafor: raw["id"] = .string(id)
            case .credibleData, .wixData: raw["name"] = .string(connection.name)
            }
            result[provider.name, default: []].append((id, raw))
        }
        return result
    }

    // MARK: - 1. local work

    func measureLocal(in folder: URL) throws -> (wall: Duration, peakRSS: Int) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let connectionCount = documents - 6
        let desired = Self.desired(count: connectionCount, base: "https://vendor.example", host: "db.internal", concurrency: concurrency)
        // YAML files, ten documents each, as a person would write them.
        var providers = ""
        for vendor in Self.vendors {
            providers += "---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: \(vendor.name)}\nspec:\n  type: \(vendor.type)\n"
            switch vendor.type {
            case .wiremockCloud: providers += "  userId: bench\n  auth: {token: {fromEnv: BENCH_TOKEN}}\n"
            case .lerianReporter: providers += "  baseURL: https://vendor.example\n  productName: bench\n"
            case .credibleData: providers += "  baseURL: https://vendor.example\n  project: bench\n  auth: {token: {fromEnv: BENCH_TOKEN}}\n"
            case .datafor: providers += "  baseURL: https://vendor.example/datafor\n  auth: {username: bench, password: {fromEnv: BENCH_TOKEN}}\n"
            case .wixData: providers += "  auth: {token: {fromEnv: BENCH_TOKEN}}\n"
            }
        }
        providers += "---\napiVersion: connsync/v1\nkind: Database\nmetadata: {name: shared}\nspec: {engine: postgresql, host: db.internal, port: 5432, username: app, password: {fromEnv: BENCH_TOKEN}}\n"
        try Data(providers.utf8).write(to: folder.appendingPathComponent("providers.yaml"))
        var chunk = ""
        for (index, connection) in desired.connections.enumerated() {
            chunk += "---\napiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: \(connection.name)\nspec:\n  provider: \(connection.address.provider)\n"
            if connection.vendor == .wixData {
                chunk += "  options:\n    endpoint: https://db.internal/adapter/\(index)\n    configuration: {collections: [orders]}\n"
            } else {
                chunk += "  databaseRef: shared\n  database: db\(index % 50)\n"
            }
            if index % 10 == 9 || index == desired.connections.count - 1 {
                let sub = folder.appendingPathComponent("connections/\(index / 1000)")
                try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
                try Data(chunk.utf8).write(to: sub.appendingPathComponent("c\(index / 10).yaml"))
                chunk = ""
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let loaded = DesiredStateLoader(
            options: LoadOptions(resolveSecrets: true), resolver: StandardSecretResolver(environment: ["BENCH_TOKEN": "bench-token"])
        ).load(from: DirectorySource(directory: folder.path))
        guard let state = loaded.state else {
            throw ValidationError("the generated documents did not load: \(loaded.errors.prefix(3).map(\.description).joined(separator: "; "))")
        }
        let remote = Self.remoteObjects(state)
        let observations = remote.mapValues { objects in
            ProviderObservation.observed(objects.map { RemoteObject(id: $0.raw["id"]?.stringValue, name: $0.raw[$0.raw["connectionName"] != nil ? "connectionName" : ($0.raw["configName"] != nil ? "configName" : "name")]?.stringValue ?? "", raw: $0.raw) })
        }
        let plan = Planner(mappings: VendorMappings.all).plan(
            PlanInput(desired: state, observations: observations, records: [], secretKey: Array(repeating: 1, count: 32)))
        let wall = start.duration(to: clock.now)
        guard plan.summary.unchanged + plan.summary.update == state.connections.count else {
            throw ValidationError("the local plan did not cover every connection")
        }
        return (wall, Self.peakRSS())
    }

    // MARK: - 2-4. against the emulator

    struct RemoteFigures {
        var plan: Duration
        var planRequests: Int
        var planBound: Duration
        var planRounds: Int
        var apply: Duration
        var applyWrites: Int
        var applyBound: Duration
        var inFlight: Int
        var baseline: Duration
        var baselineRequests: Int
        var secondApplyWrites: Int
    }

    func measureRemote(base: String, work: URL) async throws -> RemoteFigures {
        let latency = Duration.milliseconds(latencyMilliseconds)
        let desired = Self.desired(count: connections, base: base, host: "db.internal", concurrency: concurrency)
        // Seed the emulator with exactly the desired state.
        var seed: [String: [Value]] = [:]
        for (provider, objects) in Self.remoteObjects(desired) {
            let type = Self.vendors.first { $0.name == provider }!.type
            for object in objects {
                var raw = object.raw
                switch type {
                case .wiremockCloud: raw["userId"] = "bench"
                case .credibleData: raw["project"] = "bench"
                default: break
                }
                seed[type.rawValue, default: []].append(raw)
            }
        }
        let admin = AsyncHTTPClientTransport(maximumConnectionsPerHost: 2, timeout: .seconds(120))
        let seeded = try await admin.send(
            HTTPRequest(method: "POST", url: base + "/_emulator/seed", body: try Value.object(seed.mapValues(Value.array)).jsonData()))
        guard seeded.status == 200 else {
            await admin.shutdown()
            throw ValidationError("seeding the emulator failed: HTTP \(seeded.status)")
        }

        let store = try SQLiteStateStore(path: work.appendingPathComponent("state.db").path)
        let stack = TransportStack(
            base: AsyncHTTPClientTransport(maximumConnectionsPerHost: min(64, concurrency * Self.vendors.count)), parallelism: 64, clock: SystemClock(),
            delegate: SilentDelegate(), redactor: desired.redactor)
        do {
            let figures = try await measureRemote(base: base, desired: desired, stack: stack, store: store, latency: latency)
            await stack.shutdown()
            await admin.shutdown()
            try await store.close()
            return figures
        } catch {
            await stack.shutdown()
            await admin.shutdown()
            try? await store.close()
            throw error
        }
    }

    func measureRemote(base: String, desired: DesiredState, stack: TransportStack, store: any StateStore, latency: Duration) async throws
        -> RemoteFigures
    {
        let engine = Engine(buildProvider: { config throws(ProviderError) in try stack.provider(config) }, store: store, clock: SystemClock())
        let clock = ContinuousClock()

        // Warm up: the passwords are applied once (state records their hashes), and the
        // connection pool is open, as in a long-running controller.
        let warmUp = try await engine.plan(desired, fingerprints: false)
        _ = try await engine.apply(warmUp, command: "connsync bench", host: "bench")

        // 2. Converged plan: the median of `planRuns` runs (each a full observe + plan).
        var planWalls: [Duration] = []
        var planRequests = 0
        var before = 0
        var start = clock.now
        for _ in 0..<planRuns {
            before = stack.recorder.count
            start = clock.now
            let converged = try await engine.plan(desired, fingerprints: false)
            planWalls.append(start.duration(to: clock.now))
            planRequests = stack.recorder.count - before
            guard !converged.plan.summary.hasChanges, converged.plan.problems.isEmpty else {
                throw ValidationError("the seeded emulator is not converged: \(converged.plan.summary), \(converged.plan.problems.first?.description ?? "")")
            }
        }
        let planWall = planWalls.sorted()[planWalls.count / 2]
        // The bound: per vendor, the first page, then the rest concurrently; vendors in parallel.
        var rounds = 1
        for vendor in Self.vendors {
            let count = desired.connections.filter { $0.address.provider == vendor.name }.count
            let pageSize: Int
            switch vendor.type {
            case .credibleData, .datafor: pageSize = Int.max
            default: pageSize = 100
            }
            let pages = pageSize == Int.max ? 1 : max(1, (count + pageSize - 1) / pageSize)
            rounds = max(rounds, pages == 1 ? 1 : 1 + (pages - 2 + concurrency) / concurrency)
        }
        let planBound = latency * rounds

        // 3. Apply with every connection changed.
        let changed = Self.desired(count: connections, base: base, host: "db-moved.internal", concurrency: concurrency)
        let run = try await engine.plan(changed, fingerprints: false)
        before = stack.recorder.writes
        start = clock.now
        let report = try await engine.apply(run, command: "connsync bench", host: "bench")
        let applyWall = start.duration(to: clock.now)
        let applyWrites = stack.recorder.writes - before
        guard report.isSuccess else {
            let first = report.results.first { !$0.isSuccess }
            throw ValidationError("the benchmark apply failed for \(report.failed) changes, e.g. \(first?.address.description ?? ""): \(first.map { "\($0.outcome)" } ?? "")")
        }
        let inFlight = min(64, concurrency * Self.vendors.count)
        let applyBound = latency * connections / inFlight

        // The converged apply sends nothing.
        let again = try await engine.plan(changed, fingerprints: false)
        before = stack.recorder.writes
        _ = try await engine.apply(again, command: "connsync bench", host: "bench")
        let secondApplyWrites = stack.recorder.writes - before

        // 4. Baseline: one GET per connection, `baselineInFlight` in flight.
        let limiter = ConcurrencyLimiter(limit: baselineInFlight)
        let baseTransport = stack.base
        var urls: [String] = []
        var remoteIDs: [Address: String] = [:]
        for change in again.plan.changes { if let id = change.remoteID { remoteIDs[change.address] = id } }
        for (provider, objects) in Self.remoteObjects(changed) {
            let type = Self.vendors.first { $0.name == provider }!.type
            for object in objects {
                let name = object.raw["connectionName"]?.stringValue ?? object.raw["configName"]?.stringValue ?? object.raw["name"]?.stringValue ?? ""
                switch type {
                case .wiremockCloud: urls.append(base + "/v1/database-connections/" + (remoteIDs[Address(provider: provider, name: name)] ?? object.id))
                case .lerianReporter: urls.append(base + "/v1/management/connections/" + object.id)
                case .credibleData: urls.append(base + "/api/v0/projects/bench/connections/" + name)
                case .datafor: urls.append(base + "/datafor/plugin/datafor-modeler/api/connection/get?name=" + name)
                case .wixData: urls.append(base + "/wix-data/v1/external-database-connections/" + name)
                }
            }
        }
        start = clock.now
        let authorized = HTTPHeaders([("Authorization", "Token bench-token")])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for url in urls {
                group.addTask {
                    var headers = authorized
                    if url.contains("/datafor/") {
                        headers.replaceOrAdd(name: "Authorization", value: URLBuilder.basicAuthorization(username: "bench", password: "bench-password"))
                    } else if url.contains("/management/") || url.contains("/api/v0/") {
                        headers.replaceOrAdd(name: "Authorization", value: "Bearer bench-token")
                    } else if url.contains("/wix-data/") {
                        headers.replaceOrAdd(name: "Authorization", value: "bench-token")
                    }
                    let request = HTTPRequest(method: "GET", url: url, headers: headers)
                    _ = try await limiter.run { try await baseTransport.send(request) }
                }
            }
            try await group.waitForAll()
        }
        let baselineWall = start.duration(to: clock.now)
        return RemoteFigures(
            plan: planWall, planRequests: planRequests, planBound: planBound, planRounds: rounds, apply: applyWall, applyWrites: applyWrites,
            applyBound: applyBound, inFlight: inFlight, baseline: baselineWall, baselineRequests: urls.count, secondApplyWrites: secondApplyWrites)
    }

    // MARK: - 5. git

    func measureGit(in folder: URL) async throws -> Duration? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/git") else { return nil }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0..<gitFiles {
            let sub = folder.appendingPathComponent("config/\(index % 100)")
            if index < 100 { try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) }
            try Data("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: db\(index)}\nspec: {port: 5432}\n".utf8)
                .write(to: sub.appendingPathComponent("db\(index).yaml"))
        }
        for arguments in [["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=bench", "-c", "user.email=bench@connsync.invalid", "commit", "-q", "-m", "bench"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let source = try GitSource.open(
            repository: folder.path, ref: "main", path: "config", cacheDirectory: folder.appendingPathComponent(".cache").path,
            credentials: GitCredentials())
        let files = try source.yamlFiles()
        let wall = start.duration(to: clock.now)
        guard files.count == gitFiles else { throw ValidationError("read \(files.count) files from git, expected \(gitFiles)") }
        return wall
    }
}

/// A `connsync` child process (the emulator), stopped with SIGTERM.
final class BackgroundChild: @unchecked Sendable {
    let process: Process
    let baseURL: String

    private init(process: Process, baseURL: String) {
        self.process = process
        self.baseURL = baseURL
    }

    static func start(arguments: [String]) throws -> BackgroundChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else {
            process.terminate()
            throw ValidationError("the emulator did not start: \(text)")
        }
        return BackgroundChild(process: process, baseURL: text[range.lowerBound...].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
