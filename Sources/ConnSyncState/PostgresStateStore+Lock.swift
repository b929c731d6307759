import ConnSyncModel
import Foundation
import PostgresNIO

/// The lock: an advisory lock on a dedicated session, with a `state_lock` row for its holder.
extension PostgresStateStore {
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
}
