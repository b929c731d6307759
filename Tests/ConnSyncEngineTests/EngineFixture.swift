import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation
import TestSupport
import Testing

/// A provider made of functions: the engine's seam to a vendor, without HTTP.
struct ProviderFns: Provider {
    let config: ProviderConfig
    let mapping: any VendorMapping
    let calls: Calls
    var observeFn: @Sendable (Set<String>?) async throws(ProviderError) -> [RemoteObject]
    var applyFn: @Sendable (Change) async throws(ProviderError) -> ApplyResponse
    var taskExecutor: (any TaskExecutor)?

    func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        try await observeFn(names)
    }

    func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        try await applyFn(change)
    }
}

/// What the vendor was asked, and what it holds (wiremock-cloud objects by name).
final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var observes = 0
    private var sentNames: [String] = []
    private var held: [String: Value]
    private var lastSent: [String: Value] = [:]

    init(held: [String: Value]) {
        self.held = held
    }

    var observed: Int { lock.withLock { observes } }
    var sent: [String] { lock.withLock { sentNames } }
    var objects: [Value] { lock.withLock { held.keys.sorted().map { held[$0]! } } }

    func observe() { lock.withLock { observes += 1 } }

    func send(_ change: Change) {
        lock.withLock {
            sentNames.append(change.address.name)
            if let body = change.request?.body?["databaseConnection"] { lastSent[change.address.name] = body }
        }
    }

    /// The vendor now holds every object sent (the password stays write-only).
    func converge() {
        lock.withLock {
            for (name, body) in lastSent {
                var object = (held[name] ?? ["id": .string("id-\(name)")]).merging(body.removingSecrets)
                object["password"] = nil
                held[name] = object
            }
        }
    }
}

extension Value {
    var removingSecrets: Value {
        guard case .object(let fields) = self else { return self }
        return .object(fields.filter { if case .secret = $0.value { return false } else { return true } })
    }
}

/// A gate a test opens: what waits at it goes on.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}

/// One provider `wm` (wiremock-cloud's mapping) with connections `a` (in step but for a
/// password never applied), `b` (its host moved) and `c` (missing at the vendor).
struct EngineFixture {
    let store: SQLiteStateStore
    let desired: DesiredState
    let built = Counter()
    let options = Engine.ReconcileOptions(command: "connsync test", host: "test", pid: 1, lockTimeout: .seconds(5))

    static let config = ProviderConfig(
        name: "wm", type: .wiremockCloud, baseURL: "http://127.0.0.1:1", auth: ProviderAuth(token: .resolved("t")), settings: ["userId": "u"])

    static func remote(_ name: String, host: String) -> Value {
        [
            "id": .string("id-\(name)"), "connectionName": .string(name), "databaseType": "POSTGRESQL", "host": .string(host), "port": 5432,
            "databaseName": "orders", "username": "app",
        ]
    }

    init(store: SQLiteStateStore) {
        self.store = store
        let connections = ["a", "b", "c"].map { name in
            DesiredConnection(
                address: Address(provider: "wm", name: name), vendor: .wiremockCloud,
                fields: DatabaseFields(
                    engine: .postgresql, host: "db.internal", port: 5432, database: "orders", username: "app",
                    password: .resolved("pw-\(name)", source: .environment("PW"))))
        }
        desired = DesiredState(
            source: SourceInfo(kind: .directory, location: "test"), providers: [Self.config], databases: [], connections: connections)
    }

    func provider(
        observeFails: Bool = false, failures: [String: ProviderError.Kind] = [:], beforeApply: @escaping @Sendable () async -> Void = {}
    ) -> ProviderFns {
        let calls = Calls(held: ["a": Self.remote("a", host: "db.internal"), "b": Self.remote("b", host: "db-old.internal")])
        let mapping = WireMockCloudMapping()
        return ProviderFns(
            config: Self.config, mapping: mapping, calls: calls,
            observeFn: { _ throws(ProviderError) in
                calls.observe()
                if observeFails { throw ProviderError(kind: .unauthorized, operation: "observe", provider: "wm", status: 401, message: "no") }
                return calls.objects.map { raw in
                    RemoteObject(id: raw["id"]?.stringValue, name: raw["connectionName"]?.stringValue ?? "", raw: raw)
                }
            },
            applyFn: { change throws(ProviderError) in
                calls.send(change)
                await beforeApply()
                if let kind = failures[change.address.name] {
                    throw ProviderError(kind: kind, operation: "update", provider: "wm", status: kind == .rejected ? 422 : nil, message: "failed for the test")
                }
                return ApplyResponse(status: 200, remoteID: change.remoteID ?? "id-\(change.address.name)")
            })
    }

    func engine(_ provider: ProviderFns, clock: any ConnSyncClock = ManualClock(), gate: Engine.ProviderGate = Engine.ProviderGate()) -> Engine {
        let built = self.built
        return Engine(
            mappings: VendorRegistry.standard.mappings,
            buildProvider: { _ throws(ProviderError) in
                built.add()
                return provider
            }, store: store, clock: clock, gate: gate)
    }

    /// Whether `condition` holds within a bounded number of short waits.
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

func withFixture(clock: any ConnSyncClock = SystemClock(), _ body: (EngineFixture) async throws -> Void) async throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let store = try SQLiteStateStore(path: folder.url.appendingPathComponent("state.db").path, clock: clock)
    do {
        try await body(EngineFixture(store: store))
    } catch {
        try? await store.close()
        throw error
    }
    try await store.close()
}
