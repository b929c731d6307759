import AsyncHTTPClient
import ConnSyncModel
import ConnSyncProviders
import Foundation
import NIOCore
import NIOHTTP1

/// One benchmark run: the emulator seeded, then per layout validate, a warm-up apply,
/// converged plans, an apply with every connection changed and a converged apply.
struct Session {
    let binary: String
    let work: URL
    let emulator: EmulatorProcess
    let admin: HTTPClient
    let fixture: Fixture
    let planRuns: Int

    static let host = "db.internal"
    static let movedHost = "db-moved.internal"

    func measure(_ layout: Fixture.Layout, into table: inout Table) async throws {
        let folder = work.appendingPathComponent(layout.rawValue)
        let state = "sqlite:" + work.appendingPathComponent("\(layout.rawValue).db").path
        try await admin(.POST, "/_emulator/reset")
        try await admin(.POST, "/_emulator/seed", body: fixture.seed(host: Self.host))
        try fixture.write(to: folder, layout: layout, host: Self.host)
        let count = fixture.count
        let name = layout.rawValue

        let validate = try connsync(["validate", "--dir", folder.path])
        table.add("validate (\(name))", validate.timing, requests: "-", note: Table.perConnection(validate.timing.cpu, count))

        // Warm-up: the passwords are applied once (state records their hashes).
        _ = try connsync(["apply", "--dir", folder.path, "--state", state, "--auto-approve"], allow: [0, 1])

        var walls: [Duration] = []
        var cpus: [Duration] = []
        var emulatorCPU: Duration = .zero
        var requests = 0
        for _ in 0..<planRuns {
            try await admin(.DELETE, "/_emulator/requests")
            let before = emulator.cpu
            let plan = try connsync(["plan", "--dir", folder.path, "--state", state, "--detailed-exitcode"])
            emulatorCPU = emulator.cpu - before
            walls.append(plan.timing.wall)
            cpus.append(plan.timing.cpu)
            requests = try await requestCount()
        }
        let wall = Table.median(walls)
        table.planWall[layout] = wall
        table.add(
            "plan, converged (\(name), median of \(planRuns))", Timing(wall: wall, cpu: Table.median(cpus)),
            requests: "\(requests) GETs", note: "range \(Table.range(walls)) · emulator CPU \(Table.format(emulatorCPU)) · "
                + Table.perConnection(Table.median(cpus), count))

        // Every connection changed: every host moved.
        try fixture.write(to: folder, layout: layout, host: Self.movedHost)
        try await admin(.DELETE, "/_emulator/requests")
        var before = emulator.cpu
        let apply = try connsync(["apply", "--dir", folder.path, "--state", state, "--auto-approve"])
        let applyEmulator = emulator.cpu - before
        let writes = try await requestCount(writes: true)
        if table.applyWall == nil { table.applyWall = apply.timing.wall }
        table.add(
            "apply, every connection changed (\(name))", apply.timing, requests: "\(writes) writes",
            note: "emulator CPU \(Table.format(applyEmulator)) · " + Table.perConnection(apply.timing.cpu, count))

        try await admin(.DELETE, "/_emulator/requests")
        before = emulator.cpu
        let again = try connsync(["apply", "--dir", folder.path, "--state", state, "--auto-approve"])
        let secondWrites = try await requestCount(writes: true)
        table.add("second apply, converged (\(name))", again.timing, requests: "\(secondWrites) writes", note: secondWrites == 0 ? "ok" : "NOT CONVERGED")
        table.verdicts.append(Table.verdict("a converged apply (\(name)) sends zero writes", secondWrites == 0))
    }

    /// One GET per connection, `inFlight` at a time, over keep-alive connections.
    func baseline(inFlight: Int) async throws -> CommandResult {
        var paths: [(String, [(String, String)])] = []
        let providers = Dictionary(uniqueKeysWithValues: fixture.providers().map { ($0.name, $0) })
        for (index, connection) in fixture.connections(host: Session.movedHost).enumerated() {
            guard let definition = fixture.vendors.definition(for: connection.vendor), let provider = providers[connection.address.provider] else { continue }
            let id = String(format: "0199b8f3-d17d-7d2b-a192-%012x", index)
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
        return CommandResult(status: 0, output: "", errors: "", timing: Timing(wall: start.duration(to: clock.now), cpu: .zero))
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
        let response = try await admin.execute(request, timeout: .seconds(300))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError("\(method) \(path): HTTP \(response.status.code)") }
    }

    /// Vendor requests in the emulator's log (writes only: every method but GET).
    func requestCount(writes: Bool = false) async throws -> Int {
        let response = try await admin.execute(HTTPClientRequest(url: fixture.base + "/_emulator/requests"), timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 1 << 30)
        let log = try Value(json: Data(body.readableBytesView))
        let requests = log["requests"]?.arrayValue ?? []
        return writes ? requests.filter { $0["method"]?.stringValue != "GET" }.count : requests.count
    }
}
