import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation

extension Engine {
    /// Sends every change of the plan (each provider's requests bounded by its transport's
    /// limits), reports each result as it completes, and records state write-ahead: a
    /// change's pending record is committed before its request goes out, its outcome soon
    /// after (``StateJournal``). A failure on one connection never stops the others; a
    /// state that cannot be written stops every request not yet sent.
    public func apply(_ run: PlanRun, command: String, host: String) async throws -> ApplyReport {
        let started = clock.date()
        let delegate = self.delegate
        let sending = run.plan.summary.changes
        if sending > 0 { delegate.engine(.applying(changes: sending)) }
        defer { if sending > 0 { delegate.engine(.applied) } }
        let clock = self.clock
        let providers = run.providers
        let journal = StateJournal(store: store, clock: clock)
        let keeper = RecordKeeper(run: run, hasher: SecretHasher(key: try await store.secretKey()), now: clock.date())
        // A window of tasks per provider, not one task per change at once: thousands of
        // children waiting on limiters cost the runtime more than the requests did. Each
        // provider's window is refilled from its own queue, so a slow vendor cannot take
        // the others' places.
        // Queues of indices into the plan's changes: grouping copies of the changes themselves
        // held a second and a third copy of every change of a 50,000-change apply (about
        // 25 MB) at the moment its requests began.
        let changes = run.plan.changes
        var queues = Dictionary(grouping: changes.indices.filter { changes[$0].action.isChange }, by: { changes[$0].address.provider })
            .mapValues { ArraySlice($0) }
        // Each change is sent from its provider's executor (its transport's event loop), or from
        // the global pool when it has none: a task without a preference of its own would take the
        // refill loop's. That loop runs on the providers' executor when they all share one (one
        // transport): each finished change would otherwise wake a thread of the global pool.
        let outcomes = await withTaskExecutorPreference(Self.sharedExecutor(of: providers)) { await withTaskGroup(of: ChangeResult.self) { group in
            func start(_ change: Change) {
                group.addTask(executorPreference: providers[change.address.provider]?.taskExecutor ?? globalConcurrentExecutor) {
                    delegate.engine(.changeStarted(change))
                    let start = clock.now()
                    let outcome = await Self.send(change, provider: providers[change.address.provider], keeper: keeper, journal: journal)
                    let result = ChangeResult(
                        address: change.address, action: change.action, method: change.request?.method, outcome: outcome,
                        duration: start.duration(to: clock.now()))
                    delegate.engine(.changeFinished(result))
                    return result
                }
            }
            // Refilled half a window at a time: changes begun together share one state commit
            // (one by one, every request would wait for a transaction of its own).
            var running: [String: Int] = [:]
            func fill(_ name: String) {
                while running[name, default: 0] < Self.applyWindow, let next = queues[name]?.popFirst() {
                    start(changes[next])
                    running[name, default: 0] += 1
                }
            }
            for name in queues.keys.sorted() { fill(name) }
            var collected: [ChangeResult] = []
            for await result in group {
                collected.append(result)
                let name = result.address.provider
                running[name, default: 1] -= 1
                if running[name, default: 0] <= Self.applyWindow / 2 { fill(name) }
            }
            return collected
        } }
        // Connections already in step: remember their remote id, drop hashes of secrets no
        // longer declared, clear what an interrupted run left pending.
        for record in keeper.inStep() { await journal.settle(upsert: record) }
        for address in run.plan.recordsToDrop { await journal.settle(remove: address) }
        var stateError: String?
        do {
            try await journal.finish()
        } catch {
            stateError = Self.describe(error)
        }
        let results = outcomes.sorted { $0.address < $1.address }
        var report = ApplyReport(results: results, problems: run.plan.problems, stateError: stateError)
        report.wasInterrupted = Task.isCancelled
        if stateError == nil, !results.isEmpty || !run.plan.recordsToDrop.isEmpty {
            do {
                let entry = Self.history(
                report, run: run, command: report.wasInterrupted ? "\(command) (interrupted)" : command, host: host, started: started,
                finished: clock.date())
            // In a task of its own: an interrupted (cancelled) apply still records its history.
            let store = self.store
            _ = try await Task { try await store.appendHistory(entry) }.value
            } catch {
                report.stateError = Self.describe(error)
            }
        }
        return report
    }

    /// The executor every provider names, when they all name the same one; else nil.
    static func sharedExecutor(of providers: [String: any Provider]) -> (any TaskExecutor)? {
        let executors = providers.values.map(\.taskExecutor)
        guard let first = executors.first ?? nil, executors.allSatisfy({ $0 === first }) else { return nil }
        return first
    }

    /// Changes of one provider in progress at once (each still waits for the provider's
    /// concurrency and rate limits).
    public static let applyWindow = 64

    /// One change: refused, or begun in state, sent, and settled.
    private static func send(_ change: Change, provider: (any Provider)?, keeper: RecordKeeper, journal: StateJournal) async
        -> ChangeResult.Outcome
    {
        if let refusal = change.refusal { return .refused(refusal) }
        guard let provider else { return .failed("provider \(change.address.provider) is not available") }
        if Task.isCancelled { return .notSent(Self.interruptedBeforeSending) }
        do {
            try await journal.begin(keeper.pending(for: change))
        } catch {
            return .failed("not sent: connsync could not record it in state first (\(Self.describe(error)))")
        }
        if Task.isCancelled {
            let restored = keeper.restored(change)
            await journal.settle(upsert: restored.upsert, remove: restored.remove)
            return .notSent(Self.interruptedBeforeSending)
        }
        do {
            let answer = try await provider.apply(change)
            let settled = keeper.settled(change, remoteID: answer.remoteID)
            await journal.settle(upsert: settled.upsert, remove: settled.remove)
            return .succeeded(status: answer.status)
        } catch {
            // A transport failure leaves the outcome unknown: the pending record stays, and the
            // next run finds out. A vendor's refusal means nothing changed: the record is restored.
            let isUncertain = error.kind == .transport || error.kind == .server
            if !isUncertain {
                let restored = keeper.restored(change)
                await journal.settle(upsert: restored.upsert, remove: restored.remove)
            }
            if error.kind == .notSent { return .notSent(Self.interruptedBeforeSending) }
            if Task.isCancelled {
                return .failed("interrupted while it was in flight: the vendor may have applied it; the next plan finds out")
            }
            return .failed(error.summary)
        }
    }

    static let interruptedBeforeSending = "interrupted before it was sent"

    static func describe(_ error: any Error) -> String {
        (error as? StateError)?.description ?? "the state store failed"
    }

    static func history(_ report: ApplyReport, run: PlanRun, command: String, host: String, started: Date, finished: Date) -> HistoryEntry {
        HistoryEntry(
            id: nil, startedAt: started, finishedAt: finished, command: command, commit: run.plan.source.commit,
            source: run.plan.source.location, host: host, created: report.created, updated: report.updated,
            deleted: report.deleted, failed: report.failed + report.problems.count,
            changes: report.results.map { result in
                let outcome: String
                let message: String?
                switch result.outcome {
                case .succeeded: (outcome, message) = ("ok", nil)
                case .failed(let text): (outcome, message) = ("failed", text)
                case .refused(let text): (outcome, message) = ("refused", text)
                case .notSent(let text): (outcome, message) = ("not-sent", text)
                }
                return HistoryChange(address: result.address, action: result.action.rawValue, outcome: outcome, message: message)
            })
    }
}

extension Engine.PlanRun {
    /// Whether an apply of this plan has anything to do: a change to send, a record to drop,
    /// or a record to bring in step with a connection already in step (a remote id learnt,
    /// hashes of secrets no longer declared, a change an interrupted run left pending).
    public var hasWork: Bool {
        if plan.summary.hasChanges || !plan.recordsToDrop.isEmpty { return true }
        let prior = priorRecords
        return plan.changes.contains { change in
            guard change.action == .noOp, let update = change.recordUpdate else { return false }
            return RecordKeeper.differs(prior[change.address], change: change, update: update)
        }
    }

    /// The records the plan was made with, by address (the first of an address wins), built
    /// in place: no list of pairs on the way.
    var priorRecords: [Address: ConnectionRecord] {
        var prior: [Address: ConnectionRecord] = [:]
        prior.reserveCapacity(records.count)
        for record in records where prior[record.address] == nil { prior[record.address] = record }
        return prior
    }
}

/// The records an apply writes, worked out from the plan and the records it was made with.
struct RecordKeeper: Sendable {
    let run: Engine.PlanRun
    let prior: [Address: ConnectionRecord]
    let hasher: SecretHasher
    let now: Date

    init(run: Engine.PlanRun, hasher: SecretHasher, now: Date) {
        self.run = run
        prior = run.priorRecords
        self.hasher = hasher
        self.now = now
    }

    /// The record committed before the change's request goes out.
    func pending(for change: Change) -> ConnectionRecord {
        let old = prior[change.address]
        switch change.action {
        case .create:
            // Created by connsync from this moment on, with the hashes of the secrets being sent.
            return ConnectionRecord(
                address: change.address, vendor: change.vendor, remoteID: nil, isCreatedByConnsync: true,
                secretHashes: change.recordUpdate?.secretHashes ?? [:], appliedValueHash: nil, lastCommit: old?.lastCommit, updatedAt: now,
                pending: .create)
        default:
            // The hashes from before: whatever this change does not get applied is sent again.
            var record =
                old
                ?? ConnectionRecord(
                    address: change.address, vendor: change.vendor, remoteID: change.remoteID,
                    isCreatedByConnsync: change.recordUpdate?.isCreatedByConnsync ?? false, secretHashes: [:], appliedValueHash: nil,
                    lastCommit: nil, updatedAt: now)
            record.pending = change.action == .delete ? .delete : .update
            record.updatedAt = now
            return record
        }
    }

    /// What state holds once the change succeeded.
    func settled(_ change: Change, remoteID: String?) -> (upsert: ConnectionRecord?, remove: Address?) {
        guard change.action != .delete else { return (nil, change.address) }
        return (final(change, remoteID: remoteID), nil)
    }

    /// What state holds again once the vendor refused the change (nothing changed there).
    func restored(_ change: Change) -> (upsert: ConnectionRecord?, remove: Address?) {
        guard let old = prior[change.address] else { return (nil, change.address) }
        return (old, nil)
    }

    func final(_ change: Change, remoteID: String?) -> ConnectionRecord? {
        guard let update = change.recordUpdate else { return nil }
        let old = prior[change.address]
        let hash = change.appliedValueHash(hasher)
        return ConnectionRecord(
            address: change.address, vendor: change.vendor, remoteID: remoteID ?? change.remoteID ?? old?.remoteID,
            isCreatedByConnsync: update.isCreatedByConnsync || (old?.isCreatedByConnsync ?? false), secretHashes: update.secretHashes,
            appliedValueHash: hash, lastCommit: run.plan.source.commit ?? old?.lastCommit, updatedAt: now)
    }

    /// Records of connections already in step that differ from what state holds: a remote id
    /// learnt, hashes of secrets no longer declared dropped, a pending marker cleared (adopted).
    static func differs(_ old: ConnectionRecord?, change: Change, update: RecordUpdate) -> Bool {
        PriorRecord.bringsInStep(old.map(Engine.prior), remoteID: change.remoteID, secretHashes: update.secretHashes)
    }

    func inStep() -> [ConnectionRecord] {
        var result: [ConnectionRecord] = []
        for change in run.plan.changes where change.action == .noOp {
            guard let update = change.recordUpdate else { continue }
            let old = prior[change.address]
            guard Self.differs(old, change: change, update: update) else { continue }
            if var record = final(change, remoteID: change.remoteID) {
                record.lastCommit = old?.lastCommit
                result.append(record)
            }
        }
        return result
    }
}
