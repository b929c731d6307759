import ConnSyncModel
import ConnSyncState
import Foundation

/// Write-ahead state for an apply (cli.md v1.1, "Trust"): a change's pending record is
/// committed before its request goes out, and its outcome is recorded soon after, so that a
/// run killed at any moment leaves state that matches the vendors.
///
/// - ``begin(_:)`` waits until the pending record is committed. Records asked for while a
///   commit is in flight go into the next one (group commit, at most ``batchSize`` a
///   transaction): one transaction covers a batch of changes about to be sent.
/// - ``settle(upsert:remove:)`` queues an outcome; queued outcomes are committed every
///   ``flushInterval`` or ``batchSize`` records, and by ``finish()``.
///
/// After the first failed write nothing more is begun: every later ``begin(_:)`` fails, so
/// no request goes out whose outcome could not be recorded.
actor StateJournal {
    static let batchSize = 100
    static let flushInterval: Duration = .milliseconds(100)

    private let store: any StateStore
    private let clock: any ConnSyncClock
    private var pendingRecords: [ConnectionRecord] = []
    private var pendingWaiters: [CheckedContinuation<Void, any Error>] = []
    private var settledUpserts: [ConnectionRecord] = []
    private var settledRemovals: [Address] = []
    private var isWriting = false
    private var failure: (any Error)?
    private var ticker: Task<Void, Never>?
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    init(store: any StateStore, clock: any ConnSyncClock) {
        self.store = store
        self.clock = clock
    }

    /// Commits `record` (a pending create, update or delete) before its request is sent.
    /// Throws when state cannot be written: the request must then not be sent.
    func begin(_ record: ConnectionRecord) async throws {
        if let failure { throw failure }
        startTicker()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pendingRecords.append(record)
            pendingWaiters.append(continuation)
            if !isWriting { Task { await self.write() } }
        }
    }

    /// Queues what a change established (or the record to restore when it failed for sure).
    func settle(upsert: ConnectionRecord? = nil, remove: Address? = nil) {
        if let upsert { settledUpserts.append(upsert) }
        if let remove { settledRemovals.append(remove) }
        if settledUpserts.count + settledRemovals.count >= Self.batchSize, !isWriting { Task { await self.write() } }
    }

    /// Commits everything queued; throws the first write failure of the apply.
    func finish() async throws {
        ticker?.cancel()
        ticker = nil
        while isWriting { await withCheckedContinuation { idleWaiters.append($0) } }
        if failure == nil, !settledUpserts.isEmpty || !settledRemovals.isEmpty {
            // Not in the caller's task either: an interrupted apply still records what it did.
            await Task { await self.write() }.value
        }
        if let failure { throw failure }
    }

    private func startTicker() {
        guard ticker == nil else { return }
        let clock = self.clock
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: Self.flushInterval) } catch { return }
                await self?.flushIfDue()
            }
        }
    }

    /// The write runs in a task of its own: cancelling the ticker must never cancel a commit
    /// half-way (the store's async API honours cancellation).
    private func flushIfDue() {
        guard !isWriting, !settledUpserts.isEmpty || !settledRemovals.isEmpty else { return }
        Task { await self.write() }
    }

    /// The one writer: pending records first (requests wait for them), then outcomes.
    private func write() async {
        guard !isWriting else { return }
        isWriting = true
        while failure == nil, !pendingRecords.isEmpty || !settledUpserts.isEmpty || !settledRemovals.isEmpty {
            if !pendingRecords.isEmpty {
                let count = min(Self.batchSize, pendingRecords.count)
                let batch = Array(pendingRecords.prefix(count))
                let waiters = Array(pendingWaiters.prefix(count))
                pendingRecords.removeFirst(count)
                pendingWaiters.removeFirst(count)
                do {
                    try await store.commit(upserts: batch, removals: [])
                    for waiter in waiters { waiter.resume() }
                } catch {
                    failure = error
                    for waiter in waiters { waiter.resume(throwing: error) }
                }
                continue
            }
            let upserts = settledUpserts
            let removals = settledRemovals
            settledUpserts = []
            settledRemovals = []
            do {
                try await store.commit(upserts: upserts, removals: removals)
            } catch {
                failure = error
            }
        }
        if let failure {
            for waiter in pendingWaiters { waiter.resume(throwing: failure) }
            pendingRecords = []
            pendingWaiters = []
        }
        isWriting = false
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters = []
    }
}
