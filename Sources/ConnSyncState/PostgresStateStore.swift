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
    let lockConnections = LockedConnections()

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

    func fail(_ error: any Error) -> StateError {
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
        ),
        // Write-ahead records (cli.md v1.1): a change being sent.
        (2, ["ALTER TABLE connection_record ADD COLUMN pending TEXT"]),
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
