import ConnSyncModel
import Foundation
import PostgresNIO

/// Records, the HMAC key and the history.
extension PostgresStateStore {
    public func records() async throws -> [ConnectionRecord] {
        do {
            return try await fetchRecords(
                "SELECT provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at, pending FROM connection_record ORDER BY provider, name"
            )
        } catch {
            throw fail(error)
        }
    }

    public func record(for address: Address) async throws -> ConnectionRecord? {
        do {
            return try await fetchRecords(
                "SELECT provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at, pending FROM connection_record WHERE provider = \(address.provider) AND name = \(address.name)"
            ).first
        } catch {
            throw fail(error)
        }
    }

    func fetchRecords(_ query: PostgresQuery) async throws -> [ConnectionRecord] {
        var result: [ConnectionRecord] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (provider, name, vendor, remoteID, created, hashes, applied, commit, updated, pending) in rows.decode(
            (String, String, String, String?, Bool, String, String?, String?, Double, String?).self)
        {
            let vendorType = VendorType(vendor)
            let secretHashes = decodeHashes(hashes)
            result.append(
                ConnectionRecord(
                    address: Address(provider: provider, name: name), vendor: vendorType, remoteID: remoteID, isCreatedByConnsync: created,
                    secretHashes: secretHashes, appliedValueHash: applied, lastCommit: commit,
                    updatedAt: Date(timeIntervalSince1970: updated), pending: pending.flatMap(PendingOperation.init(rawValue:))))
        }
        return result
    }

    func transaction(_ body: () async throws -> Void) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await body()
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// One statement per kind of write, whatever the number of records: the rows travel as
    /// one JSON parameter (`jsonb_to_recordset`), never one round trip per record.
    public func commit(upserts: [ConnectionRecord], removals: [Address]) async throws {
        guard !upserts.isEmpty || !removals.isEmpty else { return }
        do {
            try await transaction {
                for chunk in stride(from: 0, to: upserts.count, by: Self.rowsPerStatement) {
                    let rows = upserts[chunk..<min(chunk + Self.rowsPerStatement, upserts.count)].map(Self.row)
                    let json = Value.array(rows).jsonString()
                    try await connection.query(
                        """
                        INSERT INTO connection_record (provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at, pending)
                        SELECT provider, name, vendor, remote_id, created_by_connsync, secret_hashes, applied_value_hash, last_commit, updated_at, pending
                        FROM jsonb_to_recordset(\(json)::jsonb) AS r(provider text, name text, vendor text, remote_id text, created_by_connsync boolean,
                            secret_hashes text, applied_value_hash text, last_commit text, updated_at double precision, pending text)
                        ON CONFLICT (provider, name) DO UPDATE SET vendor = EXCLUDED.vendor, remote_id = EXCLUDED.remote_id,
                            created_by_connsync = EXCLUDED.created_by_connsync, secret_hashes = EXCLUDED.secret_hashes,
                            applied_value_hash = EXCLUDED.applied_value_hash, last_commit = EXCLUDED.last_commit, updated_at = EXCLUDED.updated_at,
                            pending = EXCLUDED.pending
                        """, logger: logger)
                }
                for chunk in stride(from: 0, to: removals.count, by: Self.rowsPerStatement) {
                    let rows = removals[chunk..<min(chunk + Self.rowsPerStatement, removals.count)].map { address -> Value in
                        ["provider": .string(address.provider), "name": .string(address.name)]
                    }
                    let json = Value.array(rows).jsonString()
                    try await connection.query(
                        """
                        DELETE FROM connection_record c USING jsonb_to_recordset(\(json)::jsonb) AS r(provider text, name text)
                        WHERE c.provider = r.provider AND c.name = r.name
                        """, logger: logger)
                }
            }
        } catch {
            throw fail(error)
        }
    }

    static let rowsPerStatement = 5_000

    static func row(_ record: ConnectionRecord) -> Value {
        [
            "provider": .string(record.address.provider), "name": .string(record.address.name), "vendor": .string(record.vendor.rawValue),
            "remote_id": record.remoteID.map(Value.string) ?? .null, "created_by_connsync": .bool(record.isCreatedByConnsync),
            "secret_hashes": .string(encodeHashes(record.secretHashes)), "applied_value_hash": record.appliedValueHash.map(Value.string) ?? .null,
            "last_commit": record.lastCommit.map(Value.string) ?? .null, "updated_at": .double(record.updatedAt.timeIntervalSince1970),
            "pending": record.pending.map { .string($0.rawValue) } ?? .null,
        ]
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
                        changes: decodeHistoryChanges(changes)))
            }
            return result
        } catch {
            throw fail(error)
        }
    }
}
