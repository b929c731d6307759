import ConnSyncModel
import Foundation
import GRDB

/// The lock: a row taken inside an `IMMEDIATE` transaction, so two processes exclude each
/// other through SQLite's own file locking.
extension SQLiteStateStore {
    static func holder(_ row: Row) -> LockHolder {
        LockHolder(
            id: row["holder_id"], host: row["host"], pid: Int32(row["pid"] as Int64), command: row["command"],
            startedAt: Date(timeIntervalSince1970: row["started_at"]), heartbeatAt: Date(timeIntervalSince1970: row["heartbeat_at"]))
    }

    enum Attempt: Sendable {
        case acquired(AcquiredLock)
        case busy(LockHolder)
    }

    public func acquireLock(_ holder: LockHolder, options: LockOptions) async throws -> AcquiredLock {
        let start = clock.now()
        let clock = self.clock
        let environment = self.environment
        while true {
            let now = clock.date()
            let attempt: Attempt = try await runWithoutTransaction { db in
                var result: Attempt = .busy(holder)
                try db.inTransaction(.immediate) {
                    var mine = holder
                    mine.heartbeatAt = now
                    var previous: LockHolder?
                    if let row = try Row.fetchOne(db, sql: "SELECT * FROM state_lock WHERE id = 1") {
                        let current = Self.holder(row)
                        guard current.id == holder.id || isStale(current, now: now, ttl: options.ttl, environment: environment) else {
                            result = .busy(current)
                            return .commit
                        }
                        previous = current.id == holder.id ? nil : current
                    }
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO state_lock (id, holder_id, host, pid, command, started_at, heartbeat_at)
                            VALUES (1, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            mine.id, mine.host, Int64(mine.pid), mine.command, mine.startedAt.timeIntervalSince1970,
                            now.timeIntervalSince1970,
                        ])
                    result = .acquired(AcquiredLock(holder: mine, tookOverFrom: previous))
                    return .commit
                }
                return result
            }
            switch attempt {
            case .acquired(let lock):
                return lock
            case .busy(let current):
                let waited = start.duration(to: clock.now())
                if waited >= options.timeout {
                    throw StateError.lockTimeout(holder: current, waited: waited)
                }
                try await clock.sleep(for: min(options.pollInterval, options.timeout - waited))
            }
        }
    }

    public func heartbeat(_ lock: AcquiredLock) async throws {
        let now = clock.date()
        let changed = try await run { db in
            try db.execute(
                sql: "UPDATE state_lock SET heartbeat_at = ? WHERE id = 1 AND holder_id = ?",
                arguments: [now.timeIntervalSince1970, lock.holder.id])
            return db.changesCount
        }
        if changed == 0 { throw StateError.lockLost(lock.holder) }
    }

    public func releaseLock(_ lock: AcquiredLock) async throws {
        try await run { db in
            try db.execute(sql: "DELETE FROM state_lock WHERE id = 1 AND holder_id = ?", arguments: [lock.holder.id])
        }
    }

    public func currentLock() async throws -> LockHolder? {
        do {
            return try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM state_lock WHERE id = 1").map(Self.holder) }
        } catch {
            throw storageError(error)
        }
    }

    public func forceUnlock() async throws -> LockHolder? {
        try await run { db in
            let current = try Row.fetchOne(db, sql: "SELECT * FROM state_lock WHERE id = 1").map(Self.holder)
            try db.execute(sql: "DELETE FROM state_lock WHERE id = 1")
            return current
        }
    }
}
