import ConnSyncModel
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// State in PostgreSQL, shared by several runners or controller replicas.
///
/// The lock is a PostgreSQL **advisory lock** held on a dedicated session for as
/// long as the lock is held: a crashed holder's session ends and frees it. A
/// `state_lock` row carries the holder's facts and heartbeat; a holder whose
/// heartbeat is older than the TTL (alive but hung) is taken over by ending its
/// backend with `pg_terminate_backend`. Tables live in the schema named by the
/// URL's `schema` query parameter (default: the role's `search_path`).
public final class PostgresStateStore: StateStore, @unchecked Sendable {
    let connection: PostgresConnection
    let configuration: PostgresConnection.Configuration
    let schema: String?
    let display: String
    let clock: any ConnSyncClock
    let environment: any ProcessEnvironment
    let logger: Logger
    let lockKey: Int64
    private let lockConnections = LockedConnections()

    /// Parses `postgres://user:password@host:port/database?schema=NAME&sslmode=disable|require`.
    static func configuration(from url: String) throws -> (PostgresConnection.Configuration, String?) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw StateError.invalidLocation(StateLocation.redact(url))
        }
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        let items = components.queryItems ?? []
        let schema = items.first { $0.name == "schema" || $0.name == "search_path" }?.value
        let sslMode = items.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full":
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        let configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: tls)
        if let schema, schema.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,62}$", options: .regularExpression) == nil {
            throw StateError.invalidLocation(StateLocation.redact(url) + " (schema must be a plain identifier)")
        }
        return (configuration, schema)
    }

    init(
        connection: PostgresConnection, configuration: PostgresConnection.Configuration, schema: String?, display: String,
        clock: any ConnSyncClock, environment: any ProcessEnvironment, logger: Logger
    ) {
        self.connection = connection
        self.configuration = configuration
        self.schema = schema
        self.display = display
        self.clock = clock
        self.environment = environment
        self.logger = logger
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "connsync-state-lock:\(schema ?? "")".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        lockKey = Int64(bitPattern: hash)
    }

    /// Connects, creates the schema if named, and migrates.
    public static func connect(
        url: String, clock: any ConnSyncClock = SystemClock(), environment: any ProcessEnvironment = SystemProcessEnvironment(),
        logger: Logger = Logger(label: "connsync.state.postgres")
    ) async throws -> PostgresStateStore {
        let display = StateLocation.redact(url)
        let (configuration, schema) = try Self.configuration(from: url)
        let connection: PostgresConnection
        do {
            connection = try await Self.open(configuration, schema: schema, logger: logger)
        } catch {
            throw StateError.storage(location: display, message: "cannot connect: \(Self.describe(error))")
        }
        let store = PostgresStateStore(
            connection: connection, configuration: configuration, schema: schema, display: display, clock: clock,
            environment: environment, logger: logger)
        do {
            try await store.migrate()
        } catch let error as StateError {
            try? await connection.close()
            throw error
        } catch {
            try? await connection.close()
            throw StateError.storage(location: display, message: "migration failed: \(Self.describe(error))")
        }
        return store
    }

    static func open(_ configuration: PostgresConnection.Configuration, schema: String?, logger: Logger) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        if let schema {
            // IF NOT EXISTS is not safe against a concurrent creation (two processes would
            // race on the catalog's unique index): create under a transaction-level lock.
            try await serialized(on: connection, logger: logger) {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            }
            try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(schema)\""), logger: logger)
        }
        return connection
    }

    /// The advisory lock key under which connsync creates schemas and its migrations table,
    /// the same for every state location of a database (creations are rare and short).
    static let creationLockKey: Int64 = 0x636F_6E6E_7379_6E63  // "connsync"

    /// Runs `body` in a transaction holding the creation lock.
    static func serialized(on connection: PostgresConnection, logger: Logger, _ body: () async throws -> Void) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(creationLockKey))", logger: logger)
            try await body()
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The server's own message, never the connection string.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }

    private func fail(_ error: any Error) -> StateError {
        if let error = error as? StateError { return error }
        return .storage(location: display, message: Self.describe(error))
    }

    /// Versions in `schema_migrations`; each applied in its own transaction under an advisory
    /// transaction lock, so concurrent first runs do not race.
    static let migrations: [(version: Int, sql: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE connection_record (
                    provider TEXT NOT NULL, name TEXT NOT NULL, vendor TEXT NOT NULL, remote_id TEXT,
                    created_by_connsync BOOLEAN NOT NULL, secret_hashes TEXT NOT NULL, applied_value_hash TEXT,
                    last_commit TEXT, updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (provider, name))
                """,
                "CREATE TABLE state_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                """
                CREATE TABLE state_lock (
                    id INTEGER PRIMARY KEY CHECK (id = 1), holder_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
                    command TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL,
                    backend_pid INTEGER NOT NULL)
                """,
                """
                CREATE TABLE apply_history (
                    id BIGSERIAL PRIMARY KEY, started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION NOT NULL,
                    command TEXT NOT NULL, commit_id TEXT, source TEXT NOT NULL, host TEXT NOT NULL, created INTEGER NOT NULL,
                    updated INTEGER NOT NULL, deleted INTEGER NOT NULL, failed INTEGER NOT NULL, changes TEXT NOT NULL)
                """,
            ]
        )
    ]

    func migrate() async throws {
        try await Self.serialized(on: connection, logger: logger) {
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
                logger: logger)
        }
        let known = Self.migrations.map(\.version).max() ?? 0
        for migration in Self.migrations {
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey &+ 1))", logger: logger)
                var applied = false
                for try await version in try await connection.query(
                    "SELECT version FROM schema_migrations WHERE version = \(migration.version)", logger: logger
                ).decode(Int.self) {
                    applied = version == migration.version
                }
                if !applied {
                    for statement in migration.sql {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    let now = Date().timeIntervalSince1970
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (\(migration.version), \(now))", logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
        var newest = 0
        for try await version in try await connection.query("SELECT max(version) FROM schema_migrations", logger: logger).decode(
            Int?.self)
        {
            newest = version ?? 0
        }
        if newest > known {
            throw StateError.newerSchema(location: display, found: "v\(newest)")
        }
    }

    // MARK: records

    public func records() async throws -> [ConnectionRecord] {
        do {
            return try await fetchRecords(
                "SELECT provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at FROM connection_record ORDER BY provider, name"
            )
        } catch {
            throw fail(error)
        }
    }

    public func record(for address: Address) async throws -> ConnectionRecord? {
        do {
            return try await fetchRecords(
                "SELECT provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at FROM connection_record WHERE provider = \(address.provider) AND name = \(address.name)"
            ).first
        } catch {
            throw fail(error)
        }
    }

    private func fetchRecords(_ query: PostgresQuery) async throws -> [ConnectionRecord] {
        var result: [ConnectionRecord] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (provider, name, vendor, remoteID, created, hashes, applied, commit, updated) in rows.decode(
            (String, String, String, String?, Bool, String, String?, String?, Double).self)
        {
            guard let vendorType = VendorType(rawValue: vendor) else { continue }
            let secretHashes = decodeHashes(hashes)
            result.append(
                ConnectionRecord(
                    address: Address(provider: provider, name: name), vendor: vendorType, remoteID: remoteID, isCreatedByConnsync: created,
                    secretHashes: secretHashes, appliedValueHash: applied, lastCommit: commit,
                    updatedAt: Date(timeIntervalSince1970: updated)))
        }
        return result
    }

    private func transaction(_ body: () async throws -> Void) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await body()
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    public func upsert(_ records: [ConnectionRecord]) async throws {
        guard !records.isEmpty else { return }
        do {
            try await transaction {
                for record in records {
                    let hashes = encodeHashes(record.secretHashes)
                    let updated = record.updatedAt.timeIntervalSince1970
                    try await connection.query(
                        """
                        INSERT INTO connection_record (provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at)
                        VALUES (\(record.address.provider), \(record.address.name), \(record.vendor.rawValue), \(record.remoteID), \(record.isCreatedByConnsync), \(hashes), \(record.appliedValueHash), \(record.lastCommit), \(updated))
                        ON CONFLICT (provider, name) DO UPDATE SET vendor = EXCLUDED.vendor, remote_id = EXCLUDED.remote_id,
                            created_by_connsync = EXCLUDED.created_by_connsync, secret_hashes = EXCLUDED.secret_hashes,
                            applied_value_hash = EXCLUDED.applied_value_hash, last_commit = EXCLUDED.last_commit, updated_at = EXCLUDED.updated_at
                        """, logger: logger)
                }
            }
        } catch {
            throw fail(error)
        }
    }

    public func remove(_ addresses: [Address]) async throws {
        guard !addresses.isEmpty else { return }
        do {
            try await transaction {
                for address in addresses {
                    try await connection.query(
                        "DELETE FROM connection_record WHERE provider = \(address.provider) AND name = \(address.name)", logger: logger)
                }
            }
        } catch {
            throw fail(error)
        }
    }

    public func secretKey() async throws -> [UInt8] {
        do {
            var generator = SystemRandomNumberGenerator()
            let fresh = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let hex = fresh.map { String(format: "%02x", $0) }.joined()
            try await connection.query(
                "INSERT INTO state_meta (key, value) VALUES ('hmac_key', \(hex)) ON CONFLICT (key) DO NOTHING", logger: logger)
            var stored = ""
            for try await value in try await connection.query("SELECT value FROM state_meta WHERE key = 'hmac_key'", logger: logger)
                .decode(String.self)
            {
                stored = value
            }
            var bytes: [UInt8] = []
            var index = stored.startIndex
            while index < stored.endIndex, let next = stored.index(index, offsetBy: 2, limitedBy: stored.endIndex) {
                bytes.append(UInt8(stored[index..<next], radix: 16) ?? 0)
                index = next
            }
            return bytes
        } catch {
            throw fail(error)
        }
    }

    // MARK: lock

    func currentHolder(on connection: PostgresConnection) async throws -> (LockHolder, Int32)? {
        var result: (LockHolder, Int32)?
        for try await (id, host, pid, command, started, heartbeat, backend) in try await connection.query(
            "SELECT holder_id, host, pid, command, started_at, heartbeat_at, backend_pid FROM state_lock WHERE id = 1", logger: logger
        ).decode((String, String, Int32, String, Double, Double, Int32).self) {
            result = (
                LockHolder(
                    id: id, host: host, pid: pid, command: command, startedAt: Date(timeIntervalSince1970: started),
                    heartbeatAt: Date(timeIntervalSince1970: heartbeat)), backend
            )
        }
        return result
    }

    public func acquireLock(_ holder: LockHolder, options: LockOptions) async throws -> AcquiredLock {
        let start = clock.now()
        let session: PostgresConnection
        do {
            session = try await Self.open(configuration, schema: schema, logger: logger)
        } catch {
            throw StateError.storage(location: display, message: "cannot connect for the lock: \(Self.describe(error))")
        }
        do {
            while true {
                var granted = false
                for try await flag in try await session.query("SELECT pg_try_advisory_lock(\(lockKey))", logger: logger).decode(Bool.self) {
                    granted = flag
                }
                let now = clock.date()
                if granted {
                    let previous = try await currentHolder(on: session)
                    var mine = holder
                    mine.heartbeatAt = now
                    try await session.query(
                        """
                        INSERT INTO state_lock (id, holder_id, host, pid, command, started_at, heartbeat_at, backend_pid)
                        VALUES (1, \(mine.id), \(mine.host), \(mine.pid), \(mine.command), \(mine.startedAt.timeIntervalSince1970), \(now.timeIntervalSince1970), pg_backend_pid())
                        ON CONFLICT (id) DO UPDATE SET holder_id = EXCLUDED.holder_id, host = EXCLUDED.host, pid = EXCLUDED.pid,
                            command = EXCLUDED.command, started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at,
                            backend_pid = EXCLUDED.backend_pid
                        """, logger: logger)
                    await lockConnections.set(mine.id, session)
                    let tookOver = previous.flatMap { $0.0.id == mine.id ? nil : $0.0 }
                    return AcquiredLock(holder: mine, tookOverFrom: tookOver)
                }
                // Held by a live session: take it over only when its heartbeat is older than the TTL.
                if let (current, backend) = try await currentHolder(on: session) {
                    if isStale(current, now: now, ttl: options.ttl, environment: environment) {
                        try await session.query("SELECT pg_terminate_backend(\(backend))", logger: logger)
                        try await clock.sleep(for: .milliseconds(100))
                        continue
                    }
                    let waited = start.duration(to: clock.now())
                    if waited >= options.timeout {
                        throw StateError.lockTimeout(holder: current, waited: waited)
                    }
                } else if start.duration(to: clock.now()) >= options.timeout {
                    let unknown = LockHolder(id: "?", host: "?", pid: 0, command: "another connsync", startedAt: now, heartbeatAt: now)
                    throw StateError.lockTimeout(holder: unknown, waited: start.duration(to: clock.now()))
                }
                let waited = start.duration(to: clock.now())
                try await clock.sleep(for: min(options.pollInterval, max(.milliseconds(1), options.timeout - waited)))
            }
        } catch {
            try? await session.close()
            throw fail(error)
        }
    }

    public func heartbeat(_ lock: AcquiredLock) async throws {
        guard let session = await lockConnections.get(lock.holder.id) else { throw StateError.lockLost(lock.holder) }
        let now = clock.date().timeIntervalSince1970
        do {
            var count = 0
            for try await _ in try await session.query(
                "UPDATE state_lock SET heartbeat_at = \(now) WHERE id = 1 AND holder_id = \(lock.holder.id) RETURNING id", logger: logger
            ).decode(Int32.self) {
                count += 1
            }
            if count == 0 { throw StateError.lockLost(lock.holder) }
        } catch {
            throw fail(error)
        }
    }

    public func releaseLock(_ lock: AcquiredLock) async throws {
        guard let session = await lockConnections.remove(lock.holder.id) else { return }
        do {
            try await session.query("DELETE FROM state_lock WHERE id = 1 AND holder_id = \(lock.holder.id)", logger: logger)
            try await session.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
        } catch {
            try? await session.close()
            throw fail(error)
        }
        try? await session.close()
    }

    public func currentLock() async throws -> LockHolder? {
        do {
            // A row whose session is gone (advisory lock free) is not a lock.
            var free = false
            for try await flag in try await connection.query(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = \(lockKey))",
                logger: logger
            ).decode(Bool.self) {
                free = flag
            }
            if free { return nil }
            return try await currentHolder(on: connection)?.0
        } catch {
            throw fail(error)
        }
    }

    public func forceUnlock() async throws -> LockHolder? {
        do {
            let current = try await currentHolder(on: connection)
            if let (_, backend) = current {
                try await connection.query("SELECT pg_terminate_backend(\(backend)) WHERE \(backend) <> pg_backend_pid()", logger: logger)
            }
            try await connection.query("DELETE FROM state_lock WHERE id = 1", logger: logger)
            return current?.0
        } catch {
            throw fail(error)
        }
    }

    // MARK: history

    public func appendHistory(_ entry: HistoryEntry) async throws -> Int64 {
        let changes = encodeHistoryChanges(entry.changes)
        do {
            var id: Int64 = 0
            for try await value in try await connection.query(
                """
                INSERT INTO apply_history (started_at, finished_at, command, commit_id, source, host, created, updated, deleted, failed, changes)
                VALUES (\(entry.startedAt.timeIntervalSince1970), \(entry.finishedAt.timeIntervalSince1970), \(entry.command), \(entry.commit),
                        \(entry.source), \(entry.host), \(entry.created), \(entry.updated), \(entry.deleted), \(entry.failed), \(changes))
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                id = value
            }
            return id
        } catch {
            throw fail(error)
        }
    }

    public func history(limit: Int) async throws -> [HistoryEntry] {
        do {
            var result: [HistoryEntry] = []
            for try await (id, started, finished, command, commit, source, host, created, updated, deleted, failed, changes)
                in try await connection.query(
                    "SELECT id, started_at, finished_at, command, commit_id, source, host, created, updated, deleted, failed, changes FROM apply_history ORDER BY id DESC LIMIT \(limit)",
                    logger: logger
                ).decode((Int64, Double, Double, String, String?, String, String, Int, Int, Int, Int, String).self)
            {
                result.append(
                    HistoryEntry(
                        id: id, startedAt: Date(timeIntervalSince1970: started), finishedAt: Date(timeIntervalSince1970: finished),
                        command: command, commit: commit, source: source, host: host, created: created, updated: updated,
                        deleted: deleted, failed: failed,
                        changes: (try? JSONDecoder().decode([HistoryChange].self, from: Data(changes.utf8))) ?? []))
            }
            return result
        } catch {
            throw fail(error)
        }
    }

    public func close() async throws {
        for session in await lockConnections.removeAll() { try? await session.close() }
        try await connection.close()
    }
}

/// The dedicated sessions that hold advisory locks, by holder id.
actor LockedConnections {
    private var sessions: [String: PostgresConnection] = [:]

    func set(_ id: String, _ connection: PostgresConnection) { sessions[id] = connection }
    func get(_ id: String) -> PostgresConnection? { sessions[id] }
    func remove(_ id: String) -> PostgresConnection? { sessions.removeValue(forKey: id) }
    func removeAll() -> [PostgresConnection] {
        defer { sessions = [:] }
        return Array(sessions.values)
    }
}
