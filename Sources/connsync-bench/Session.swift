import AsyncHTTPClient
import ConnSyncModel
import ConnSyncProviders
import Foundation
import NIOCore
import NIOHTTP1

/// What one size and layout measured.
struct LayoutFigures {
    var layout: Fixture.Layout
    var yamlBytes: Int
    /// `connsync validate` runs, in order.
    var validates: [Timing]
    /// Converged plans, in order.
    var plans: [Timing]
    /// Seconds from process start to the first vendor call, per plan.
    var firstRequest: [Double]
    var planRequests: Int
    var planEmulatorCPU: Duration
    /// Applies that change every connection (the host moves back and forth), in order.
    var applies: [Timing]
    var applyWrites: Int
    var applyEmulatorCPU: Duration
    var secondApplyWrites: Int

    var validate: Timing { Report.median(validates) }
    var apply: Timing { Report.median(applies) }
}

/// One benchmark run at one size: the emulator seeded, then per layout validate, a warm-up
/// apply, converged plans, an apply with every connection changed and a converged apply.
struct Session {
    let binary: String
    let work: URL
    let emulator: EmulatorProcess
    let admin: HTTPClient
    let fixture: Fixture
    /// The emulator's seed in batches (its bodies are bounded), built once for both layouts.
    let seed: [Value]
    let planRuns: Int
    let applyRuns: Int

    static let host = "db.internal"
    static let movedHost = "db-moved.internal"

    func measure(_ layout: Fixture.Layout) async throws -> LayoutFigures {
        let folder = work.appendingPathComponent("\(fixture.count)-\(layout.rawValue)")
        let state = "sqlite:" + folder.path + ".db"
        try await admin(.POST, "/_emulator/reset")
        for batch in seed { try await admin(.POST, "/_emulator/seed", body: batch) }
        try fixture.write(to: folder, layout: layout, host: Self.host)
        let yamlBytes = Self.bytes(under: folder)

        var validates: [Timing] = []
        for _ in 0..<planRuns { validates.append(try connsync(["validate", "--dir", folder.path]).timing) }
        // Warm-up: the passwords are applied once (state records their hashes).
        _ = try connsync(["apply", "--dir", folder.path, "--state", state, "--auto-approve"], allow: [0, 1])

        var plans: [Timing] = []
        var first: [Double] = []
        var requests = 0
        var emulatorCPU: Duration = .zero
        for _ in 0..<planRuns {
            try await admin(.DELETE, "/_emulator/requests")
            let before = emulator.cpu
            let plan = try connsync(["plan", "--dir", folder.path, "--state", state, "--detailed-exitcode"])
            emulatorCPU = emulator.cpu - before
            plans.append(plan.timing)
            let summary = try await requestSummary()
            requests = summary["count"]?.intValue ?? 0
            if let at = summary["firstAt"]?.numberValue { first.append(at - plan.timing.startedAt) }
        }

        // Every connection changed: every host moved (and back again, run after run).
        var applies: [Timing] = []
        var writes = 0
        var applyEmulator: Duration = .zero
        for run in 0..<applyRuns {
            try fixture.write(to: folder, layout: layout, host: run % 2 == 0 ? Self.movedHost : Self.host)
            try await admin(.DELETE, "/_emulator/requests")
            let before = emulator.cpu
            let apply = try connsync(["apply", "--dir", folder.path, "--state", state, "--auto-approve"])
            applyEmulator = emulator.cpu - before
            applies.append(apply.timing)
            writes = try await requestSummary()["writes"]?.intValue ?? 0
        }

        try await admin(.DELETE, "/_emulator/requests")
        _ = try connsync(["apply", "--dir", folder.path, "--state", state, "--auto-approve"])
        let secondWrites = try await requestSummary()["writes"]?.intValue ?? 0
        try? FileManager.default.removeItem(at: folder)
        return LayoutFigures(
            layout: layout, yamlBytes: yamlBytes, validates: validates, plans: plans, firstRequest: first, planRequests: requests,
            planEmulatorCPU: emulatorCPU, applies: applies, applyWrites: writes, applyEmulatorCPU: applyEmulator,
            secondApplyWrites: secondWrites)
    }

    /// One GET per connection, `inFlight` at a time, over keep-alive connections.
    func baseline(inFlight: Int) async throws -> Duration {
        var paths: [(String, [(String, String)])] = []
        let providers = Dictionary(uniqueKeysWithValues: fixture.providers().map { ($0.name, $0) })
        for (index, connection) in fixture.connections(host: Session.movedHost).enumerated() {
            guard let definition = fixture.vendors.definition(for: connection.vendor), let provider = providers[connection.address.provider] else { continue }
            let id = Fixture.id(index)
            let headers = try VendorHTTP.authHeaders(for: provider, scheme: definition.api.auth)
            paths.append((definition.samples.basePath + definition.samples.benchGetPath(id, connection.name), headers))
        }
        let clock = ContinuousClock()
        let start = clock.now
        let base = fixture.base
        let client = admin
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                let (path, headers) = paths[next]
                next += 1
                group.addTask {
                    var request = HTTPClientRequest(url: base + path)
                    for (name, value) in headers { request.headers.add(name: name, value: value) }
                    let response = try await client.execute(request, timeout: .seconds(60))
                    _ = try await response.body.collect(upTo: 16 << 20)
                }
            }
            while next < paths.count, next < inFlight { start() }
            while try await group.next() != nil {
                if next < paths.count { start() }
            }
        }
        return start.duration(to: clock.now)
    }

    // MARK: - helpers

    func connsync(_ arguments: [String], allow: Set<Int32> = [0]) throws -> CommandResult {
        let result = try run(binary, arguments, environment: Fixture.environment)
        guard allow.contains(result.status) else {
            throw BenchError("connsync \(arguments.prefix(1).joined()) exited \(result.status): \(result.errors.split(separator: "\n").prefix(5).joined(separator: "; "))")
        }
        return result
    }

    func admin(_ method: HTTPMethod, _ path: String, body: Value? = nil) async throws {
        var request = HTTPClientRequest(url: fixture.base + path)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(bytes: try body.jsonData(secrets: .reveal))) }
        let response = try await admin.execute(request, timeout: .seconds(600))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError("\(method) \(path): HTTP \(response.status.code)") }
    }

    /// The emulator's count of calls and writes, and when the first arrived.
    func requestSummary() async throws -> Value {
        let response = try await admin.execute(HTTPClientRequest(url: fixture.base + "/_emulator/requests/summary"), timeout: .seconds(60))
        return try Value(json: Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    /// A seed (vendor → objects) cut into seeds of at most `size` objects each.
    static func batches(of seed: Value, size: Int) -> [Value] {
        var batches: [Value] = []
        for (vendor, items) in (seed.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let all = items.arrayValue ?? []
            for start in stride(from: 0, to: all.count, by: size) {
                batches.append(.object([vendor: .array(Array(all[start..<min(start + size, all.count)]))]))
            }
        }
        return batches
    }

    /// The bytes of every YAML file under `folder`.
    static func bytes(under folder: URL) -> Int {
        var total = 0
        if let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey]) {
            for case let file as URL in files where file.pathExtension == "yaml" {
                total += (try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
            }
        }
        return total
    }
}
