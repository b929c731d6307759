import ConnSyncModel
import ConnSyncState
import Foundation
import TestSupport
import Testing

// One suite that every StateStore passes: SQLite in a temporary folder, and PostgreSQL
// (CONNSYNC_TEST_POSTGRES_URL, which `make test` and CI set; each test in its own schema).

enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Facts about processes, controlled by the test.
final class FakeProcesses: ProcessEnvironment, @unchecked Sendable {
    let hostName: String
    let processID: Int32
    private let lock = NSLock()
    private var alive: Set<Int32>

    init(host: String = "host-a", pid: Int32 = 100, alive: Set<Int32> = [100]) {
        hostName = host
        processID = pid
        self.alive = alive
    }

    func isAlive(_ pid: Int32) -> Bool {
        lock.withLock { alive.contains(pid) }
    }

    func kill(_ pid: Int32) {
        _ = lock.withLock { alive.remove(pid) }
    }
}

/// The PostgreSQL URL for tests, with a fresh schema.
func postgresURL(schema: String) throws -> String {
    guard let base = ProcessInfo.processInfo.environment["CONNSYNC_TEST_POSTGRES_URL"], !base.isEmpty else {
        throw TestSupportError.notFound(
            "CONNSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test` (it starts PostgreSQL), or export the URL of a test database")
    }
    return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
}

/// A store of `kind` at a fresh location; `reopen` opens the same location again.
struct StoreFixture {
    let kind: StoreKind
    let location: StateLocation
    let directory: TemporaryDirectory?

    init(_ kind: StoreKind) throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            let directory = try TemporaryDirectory(prefix: "connsync-state")
            self.directory = directory
            location = .sqlite(path: directory.url.appendingPathComponent("nested/state.db").path)
        case .postgres:
            directory = nil
            location = .postgres(url: try postgresURL(schema: "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()))
        }
    }

    func open(clock: any ConnSyncClock = SystemClock(), processes: any ProcessEnvironment = SystemProcessEnvironment()) async throws
        -> any StateStore
    {
        try await openStateStore(location, clock: clock, environment: processes)
    }

    func cleanUp() {
        directory?.remove()
    }
}

func record(_ name: String, provider: String = "wm", created: Bool = false, hashes: [String: String] = [:]) -> ConnectionRecord {
    ConnectionRecord(
        address: Address(provider: provider, name: name), vendor: "wiremock-cloud", remoteID: "id-\(name)", isCreatedByConnsync: created,
        secretHashes: hashes, appliedValueHash: "v-\(name)", lastCommit: "abc123", updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
}

func holder(_ command: String, host: String = "host-a", pid: Int32 = 100, at date: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> LockHolder {
    LockHolder(host: host, pid: pid, command: command, startedAt: date, heartbeatAt: date)
}

@Suite("State store (shared suite)")
struct StateStoreSuite {
    @Test(arguments: StoreKind.allCases)
    func recordsRoundTripInOneTransaction(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        #expect(try await store.records().isEmpty)
        try await store.upsert([record("b", hashes: ["password": "h1", "ssl.ca": "h2"]), record("a", created: true)])
        let all = try await store.records()
        #expect(all.map(\.address.name) == ["a", "b"])
        #expect(all[1].secretHashes == ["password": "h1", "ssl.ca": "h2"])
        #expect(all[0].isCreatedByConnsync)
        #expect(all[0].updatedAt == Date(timeIntervalSince1970: 1_800_000_000))
        var changed = record("b")
        changed.remoteID = "new-id"
        try await store.upsert([changed])
        #expect(try await store.record(for: Address(provider: "wm", name: "b"))?.remoteID == "new-id")
        #expect(try await store.record(for: Address(provider: "wm", name: "b"))?.secretHashes == [:])
        try await store.remove([Address(provider: "wm", name: "a")])
        #expect(try await store.records().map(\.address.name) == ["b"])
        #expect(try await store.record(for: Address(provider: "other", name: "b")) == nil)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func theSecretKeyIsCreatedOnceAndSurvivesReopening(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        let key = try await store.secretKey()
        #expect(key.count == 32)
        #expect(try await store.secretKey() == key)
        try await store.upsert([record("kept")])
        try await store.close()
        // Reopening migrates nothing twice and keeps everything.
        let again = try await fixture.open()
        #expect(try await again.secretKey() == key)
        #expect(try await again.records().map(\.address.name) == ["kept"])
        try await again.close()
    }

    @Test(arguments: StoreKind.allCases)
    func lockAcquireReleaseAndTimeoutNamingTheHolder(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let processes = FakeProcesses(alive: [100, 200])
        let clock = ManualClock()
        let first = try await fixture.open(clock: clock, processes: processes)
        let second = try await fixture.open(clock: clock, processes: processes)
        let lock = try await first.acquireLock(holder("connsync apply", pid: 100, at: clock.date()), options: LockOptions(timeout: .seconds(5)))
        #expect(lock.tookOverFrom == nil)
        #expect(try await second.currentLock()?.command == "connsync apply")
        do {
            _ = try await second.acquireLock(holder("connsync watch", pid: 200, at: clock.date()), options: LockOptions(timeout: .seconds(2)))
            Issue.record("the second acquirer must time out")
        } catch let error as StateError {
            guard case .lockTimeout(let current, _) = error else { throw error }
            #expect(current.command == "connsync apply")
            #expect(current.pid == 100)
            #expect(error.description.contains("connsync state unlock --force"))
        }
        try await first.heartbeat(lock)
        try await first.releaseLock(lock)
        #expect(try await second.currentLock() == nil)
        let taken = try await second.acquireLock(holder("connsync watch", pid: 200, at: clock.date()), options: LockOptions(timeout: .seconds(1)))
        #expect(taken.tookOverFrom == nil)
        try await second.releaseLock(taken)
        try await first.close()
        try await second.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aWaitingAcquirerGetsTheLockWhenItIsReleased(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let processes = FakeProcesses(alive: [100, 200])
        let first = try await fixture.open(processes: processes)
        let second = try await fixture.open(processes: processes)
        let lock = try await first.acquireLock(holder("first", pid: 100, at: Date()), options: LockOptions())
        let waiter = Task {
            try await second.acquireLock(holder("second", pid: 200, at: Date()), options: LockOptions(timeout: .seconds(20), pollInterval: .milliseconds(20)))
        }
        try await Task.sleep(for: .milliseconds(200))
        try await first.releaseLock(lock)
        let acquired = try await waiter.value
        #expect(acquired.holder.command == "second")
        try await second.releaseLock(acquired)
        try await first.close()
        try await second.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aLockWhoseHeartbeatExpiredIsTakenOverSayingFromWhom(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let clock = ManualClock()
        // The holder runs on another host: only the heartbeat can tell it is gone.
        let remote = FakeProcesses(host: "ci-runner-7", pid: 300, alive: [300])
        let local = FakeProcesses(host: "host-a", pid: 100, alive: [100])
        let crashed = try await fixture.open(clock: clock, processes: remote)
        let next = try await fixture.open(clock: clock, processes: local)
        _ = try await crashed.acquireLock(holder("connsync apply", host: "ci-runner-7", pid: 300, at: clock.date()), options: LockOptions())
        do {
            _ = try await next.acquireLock(holder("connsync apply", at: clock.date()), options: LockOptions(timeout: .milliseconds(10)))
            Issue.record("a fresh lock must not be taken over")
        } catch is StateError {}
        clock.advance(by: .seconds(121))
        let taken = try await next.acquireLock(
            holder("connsync apply", at: clock.date()), options: LockOptions(timeout: .seconds(10), ttl: .seconds(120), pollInterval: .milliseconds(20)))
        #expect(taken.tookOverFrom?.host == "ci-runner-7")
        #expect(taken.tookOverFrom?.pid == 300)
        // The old holder finds out: its heartbeat fails.
        await #expect(throws: StateError.self) {
            try await crashed.heartbeat(AcquiredLock(holder: holder("connsync apply", host: "ci-runner-7", pid: 300), tookOverFrom: nil))
        }
        try await next.releaseLock(taken)
        try? await crashed.close()
        try await next.close()
    }

    @Test(arguments: StoreKind.allCases)
    func forceUnlockRemovesAndReportsTheHolder(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let processes = FakeProcesses(alive: [100, 200])
        let holderStore = try await fixture.open(processes: processes)
        let admin = try await fixture.open(processes: processes)
        _ = try await holderStore.acquireLock(holder("stuck apply", pid: 100, at: Date()), options: LockOptions())
        let removed = try await admin.forceUnlock()
        #expect(removed?.command == "stuck apply")
        #expect(try await admin.currentLock() == nil)
        let fresh = try await admin.acquireLock(holder("next", pid: 200, at: Date()), options: LockOptions(timeout: .seconds(10), pollInterval: .milliseconds(20)))
        try await admin.releaseLock(fresh)
        try? await holderStore.close()
        try await admin.close()
    }

    @Test(arguments: StoreKind.allCases)
    func historyIsAppendOnlyNewestFirst(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        for index in 1...3 {
            let id = try await store.appendHistory(
                HistoryEntry(
                    id: nil, startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)), finishedAt: Date(timeIntervalSince1970: 1_800_000_100),
                    command: "connsync apply", commit: "c\(index)", source: "/repo", host: "h", created: index, updated: 0, deleted: 0, failed: 0,
                    changes: [HistoryChange(address: Address(provider: "wm", name: "n\(index)"), action: "create", outcome: "ok", message: nil)]))
            #expect(id > 0)
        }
        let history = try await store.history(limit: 2)
        #expect(history.map(\.commit) == ["c3", "c2"])
        #expect(history.first?.changes.first?.address.name == "n3")
        #expect(history.first?.created == 3)
        try await store.close()
    }
}

@Suite("State store specifics")
struct StateStoreSpecificTests {
    @Test func aDeadLocalHolderIsTakenOverAtOnce() async throws {
        let fixture = try StoreFixture(.sqlite)
        defer { fixture.cleanUp() }
        let processes = FakeProcesses(alive: [100, 555])
        let crashed = try await fixture.open(processes: processes)
        _ = try await crashed.acquireLock(holder("connsync apply", pid: 555, at: Date()), options: LockOptions())
        processes.kill(555)
        let next = try await fixture.open(processes: processes)
        let taken = try await next.acquireLock(holder("connsync apply", pid: 100, at: Date()), options: LockOptions(timeout: .milliseconds(50)))
        #expect(taken.tookOverFrom?.pid == 555)
        try await next.releaseLock(taken)
        try await crashed.close()
        try await next.close()
    }

    @Test func aStateWrittenByANewerConnsyncIsRefused() async throws {
        let fixture = try StoreFixture(.sqlite)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        try await store.close()
        guard case .sqlite(let path) = fixture.location else { return }
        let result = try await runProcess("/usr/bin/sqlite3", [path, "INSERT INTO grdb_migrations (identifier) VALUES ('v99')"])
        #expect(result.status == 0, "\(result)")
        do {
            _ = try await fixture.open()
            Issue.record("a newer schema must be refused")
        } catch let error as StateError {
            #expect(error.description.contains("written by a newer connsync"))
        }
    }

    @Test func theSQLiteFileHoldsHashesNeverTheSecret() async throws {
        let fixture = try StoreFixture(.sqlite)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        let secret = "Sup3r-Secret-Password"
        // What the planner records: a keyed hash of the secret, never the secret.
        let hash = String(secret.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }, radix: 16)
        try await store.upsert([record("orders", hashes: ["password": hash])])
        try await store.close()
        guard case .sqlite(let path) = fixture.location else { return }
        var bytes = Data()
        for suffix in ["", "-wal"] { bytes.append(FileManager.default.contents(atPath: path + suffix) ?? Data()) }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(hash))
        #expect(!text.contains(secret))
    }

    @Test(arguments: [
        ("sqlite:.connsync/state.db", "sqlite:.connsync/state.db"),
        ("sqlite:///tmp/x.db", "sqlite:/tmp/x.db"),
        ("postgres://user:hunter2@db.internal:5432/state", "postgres://user:****@db.internal:5432/state"),
        ("postgresql://db.internal/state", "postgresql://db.internal/state"),
    ])
    func locationsParseAndNeverShowThePassword(_ text: String, _ display: String) throws {
        #expect(try StateLocation(parsing: text).description == display)
    }

    @Test func badLocationsSayWhatIsExpected() {
        for text in ["mysql://x", "sqlite:", "postgres://user:hunter2@/db", "state.db"] {
            do {
                _ = try StateLocation(parsing: text)
                Issue.record("\(text) must be refused")
            } catch {
                #expect(error.description.contains("use sqlite:PATH or postgres://"))
                #expect(!error.description.contains("hunter2"))
            }
        }
    }

    @Test func postgresConnectionErrorsHideThePassword() async throws {
        let base = try postgresURL(schema: "unused")
        var components = try #require(URLComponents(string: base))
        components.password = "definitely-wrong-password"
        do {
            _ = try await openStateStore(.postgres(url: components.string!))
            Issue.record("a wrong password must fail")
        } catch {
            #expect(!"\(error)".contains("definitely-wrong-password"))
            #expect("\(error)".contains("****") || "\(error)".contains("password authentication failed"))
        }
    }
}

@Suite("PostgreSQL state: concurrent first use")
struct PostgresFirstUseTests {
    /// CI jobs started together all open a schema that does not exist yet: creating the
    /// schema and the migrations table must not race (PostgreSQL's IF NOT EXISTS does).
    @Test func manyOpenersOfANewSchemaAllSucceed() async throws {
        let schema = "first_use_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let location = try StateLocation(parsing: try postgresURL(schema: schema))
        let opened = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let store = try await openStateStore(location)
                    let key = try await store.secretKey()
                    try await store.close()
                    return key.count
                }
            }
            var sizes: [Int] = []
            for try await size in group { sizes.append(size) }
            return sizes
        }
        #expect(opened == Array(repeating: 32, count: 8))
    }
}
