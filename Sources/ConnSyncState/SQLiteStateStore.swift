import ConnSyncModel
import Foundation
import GRDB

/// State in one SQLite file (GRDB, WAL). The lock is a row taken inside an
/// `IMMEDIATE` transaction, so two processes exclude each other through SQLite's
/// own file locking.
public final class SQLiteStateStore: StateStore, @unchecked Sendable {
    let pool: DatabasePool
    let path: String
    let clock: any ConnSyncClock
    let environment: any ProcessEnvironment

    /// The migrations, versioned from day one; never edit one that shipped, add the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE connection_record (
                        provider TEXT NOT NULL,
                        name TEXT NOT NULL,
                        vendor TEXT NOT NULL,
                        remote_id TEXT,
                        created_by_connsync INTEGER NOT NULL,
                        secret_hashes TEXT NOT NULL,
                        applied_value_hash TEXT,
                        last_commit TEXT,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (provider, name)
                    );
                    CREATE TABLE state_meta (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
                    CREATE TABLE state_lock (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        holder_id TEXT NOT NULL,
                        host TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        command TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        heartbeat_at REAL NOT NULL
                    );
                    CREATE TABLE apply_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        started_at REAL NOT NULL,
                        finished_at REAL NOT NULL,
                        command TEXT NOT NULL,
                        commit_id TEXT,
                        source TEXT NOT NULL,
                        host TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        updated INTEGER NOT NULL,
                        deleted INTEGER NOT NULL,
                        failed INTEGER NOT NULL,
                        changes TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2") { db in
            // Write-ahead records (cli.md v1.1): a change being sent.
            try db.execute(sql: "ALTER TABLE connection_record ADD COLUMN pending TEXT")
        }
        return migrator
    }

    public init(path: String, clock: any ConnSyncClock = SystemClock(), environment: any ProcessEnvironment = SystemProcessEnvironment())
        throws
    {
        self.path = path
        self.clock = clock
        self.environment = environment
        var notes: [String] = []
        do {
            notes = try StateFiles.prepare(path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.label = "connsync-state"
            pool = try DatabasePool(path: path, configuration: configuration)
            let migrator = Self.migrator
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                let found = try pool.read { db in try migrator.appliedIdentifiers(db).sorted().last ?? "?" }
                throw StateError.newerSchema(location: "sqlite:\(path)", found: found)
            }
            try migrator.migrate(pool)
            identity = try StateFiles.identity(of: path)
            notes += StateFiles.tighten(path)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage(location: "sqlite:\(path)", message: "cannot open: \(ErrorText.describe(error))")
        }
        openingNotes = notes
    }

    /// What opening the store did that a user should know (a new state, tightened permissions).
    public let openingNotes: [String]
    /// The state file as it was opened (device and inode): a write checks it is still that file.
    private let identity: StateFiles.Identity

    /// Fails when the state file vanished, was emptied or replaced since it was opened:
    /// writing on would record into a file nobody will read again.
    func checkFile() throws(StateError) {
        try StateFiles.check(path, against: identity)
    }

    func storageError(_ error: any Error) -> StateError {
        if let error = error as? StateError { return error }
        return .storage(location: "sqlite:\(path)", message: ErrorText.describe(error))
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw storageError(error)
        }
    }

    /// For work that opens its own transaction (the lock's `BEGIN IMMEDIATE`).
    func runWithoutTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction(body)
        } catch {
            throw storageError(error)
        }
    }

    // MARK: records

    /// The columns of a record, in the order ``record(_:)`` reads them by index (reading by
    /// name looks each one up, which a 5,000-record read pays 45,000 times).
    static let recordColumns =
        "provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at, pending"

    static func record(_ row: Row) -> ConnectionRecord? {
        let vendor = VendorType(row[2] as String)
        let hashesText: String = row[5]
        return ConnectionRecord(
            address: Address(provider: row[0], name: row[1]), vendor: vendor, remoteID: row[3],
            isCreatedByConnsync: row[4], secretHashes: decodeHashes(hashesText), appliedValueHash: row[6],
            lastCommit: row[7], updatedAt: Date(timeIntervalSince1970: row[8]),
            pending: (row[9] as String?).flatMap(PendingOperation.init(rawValue:)))
    }

    public func records() async throws -> [ConnectionRecord] {
        do {
            return try await pool.read { db in
                var records: [ConnectionRecord] = []
                let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.recordColumns) FROM connection_record ORDER BY provider, name")
                while let row = try rows.next() {
                    if let record = Self.record(row) { records.append(record) }
                }
                return records
            }
        } catch {
            throw storageError(error)
        }
    }

    public func record(for address: Address) async throws -> ConnectionRecord? {
        do {
            return try await pool.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT \(Self.recordColumns) FROM connection_record WHERE provider = ? AND name = ?", arguments: [address.provider, address.name]
                ).flatMap(Self.record)
            }
        } catch {
            throw storageError(error)
        }
    }

    public func commit(upserts: [ConnectionRecord], removals: [Address]) async throws {
        guard !upserts.isEmpty || !removals.isEmpty else { return }
        try checkFile()
        let rows = upserts.map { record -> StatementArguments in
            [
                record.address.provider, record.address.name, record.vendor.rawValue, record.remoteID, record.isCreatedByConnsync,
                encodeHashes(record.secretHashes), record.appliedValueHash, record.lastCommit, record.updatedAt.timeIntervalSince1970,
                record.pending?.rawValue,
            ]
        }
        try await run { db in
            if !rows.isEmpty {
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO connection_record
                            (provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at, pending)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (provider, name) DO UPDATE SET
                            vendor = excluded.vendor, remote_id = excluded.remote_id, created_by_connsync = excluded.created_by_connsync,
                            secret_hashes = excluded.secret_hashes, applied_value_hash = excluded.applied_value_hash,
                            last_commit = excluded.last_commit, updated_at = excluded.updated_at, pending = excluded.pending
                        """)
                for arguments in rows { try statement.execute(arguments: arguments) }
            }
            if !removals.isEmpty {
                let statement = try db.cachedStatement(sql: "DELETE FROM connection_record WHERE provider = ? AND name = ?")
                for address in removals { try statement.execute(arguments: [address.provider, address.name]) }
            }
        }
    }

    public func secretKey() async throws -> [UInt8] {
        try await run { db in
            if let data = try Data.fetchOne(db, sql: "SELECT value FROM state_meta WHERE key = 'hmac_key'") {
                return [UInt8](data)
            }
            var generator = SystemRandomNumberGenerator()
            let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            try db.execute(sql: "INSERT INTO state_meta (key, value) VALUES ('hmac_key', ?)", arguments: [Data(key)])
            return key
        }
    }

    // MARK: history

    public func appendHistory(_ entry: HistoryEntry) async throws -> Int64 {
        try checkFile()
        let changes = encodeHistoryChanges(entry.changes)
        return try await run { db in
            try db.execute(
                sql: """
                    INSERT INTO apply_history
                        (started_at, finished_at, command, commit_id, source, host, created, updated, deleted, failed, changes)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.startedAt.timeIntervalSince1970, entry.finishedAt.timeIntervalSince1970, entry.command, entry.commit,
                    entry.source, entry.host, entry.created, entry.updated, entry.deleted, entry.failed, changes,
                ])
            return db.lastInsertedRowID
        }
    }

    public func history(limit: Int) async throws -> [HistoryEntry] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM apply_history ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                    let text: String = row["changes"]
                    let changes = decodeHistoryChanges(text)
                    return HistoryEntry(
                        id: row["id"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
                        finishedAt: Date(timeIntervalSince1970: row["finished_at"]), command: row["command"], commit: row["commit_id"],
                        source: row["source"], host: row["host"], created: row["created"], updated: row["updated"],
                        deleted: row["deleted"], failed: row["failed"], changes: changes)
                }
            }
        } catch {
            throw storageError(error)
        }
    }

    public func close() async throws {
        try pool.close()
    }
}
