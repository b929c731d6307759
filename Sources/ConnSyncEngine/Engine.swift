import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation

/// The reconcile pipeline: observe remote → plan → apply → record. It owns no
/// I/O of its own: providers, the state store, the clock and the delegate are
/// injected by the composition root (the CLI, the controller, tests).
public struct Engine: Sendable {
    public typealias ProviderBuilder = @Sendable (ProviderConfig) throws(ProviderError) -> any Provider

    let buildProvider: ProviderBuilder
    let store: any StateStore
    let clock: any ConnSyncClock
    let delegate: any EngineDelegate
    let planner: Planner

    public init(
        buildProvider: @escaping ProviderBuilder, store: any StateStore, clock: any ConnSyncClock,
        delegate: any EngineDelegate = SilentDelegate()
    ) {
        self.buildProvider = buildProvider
        self.store = store
        self.clock = clock
        self.delegate = delegate
        planner = Planner(mappings: VendorMappings.all)
    }

    /// A plan with what it was made from, ready to be shown and applied.
    public struct PlanRun: Sendable {
        public var plan: Plan
        public var desired: DesiredState
        public var records: [ConnectionRecord]
        public var targets: [Address]
        let providers: [String: any Provider]
    }

    // MARK: - plan

    /// Observes every provider in scope concurrently, then plans. Never changes anything remote.
    ///
    /// State is read while the desired connections' providers are observed (the round trips
    /// dominate); a provider that is in scope only through state (prune) is observed after.
    public func plan(_ desired: DesiredState, targets: [Address] = []) async throws -> PlanRun {
        var providers: [String: any Provider] = [:]
        var observations: [String: ProviderObservation] = [:]
        let store = self.store
        async let stored = store.records()
        let firstScope = Planner.providersInScope(desired: desired, records: [], targets: targets)
        let first = await observe(firstScope, desired: desired, targets: targets)
        providers.merge(first.providers) { _, new in new }
        observations.merge(first.observations) { _, new in new }

        let records = try await stored
        let key = try await store.secretKey()
        let priors = records.map {
            PriorRecord(address: $0.address, remoteID: $0.remoteID, isCreatedByConnsync: $0.isCreatedByConnsync, secretHashes: $0.secretHashes)
        }
        let rest = Planner.providersInScope(desired: desired, records: priors, targets: targets).filter { observations[$0] == nil }
        if !rest.isEmpty {
            let second = await observe(rest, desired: desired, targets: targets)
            providers.merge(second.providers) { _, new in new }
            observations.merge(second.observations) { _, new in new }
        }
        let plan = planner.plan(
            PlanInput(desired: desired, observations: observations, records: priors, secretKey: key, targets: targets))
        return PlanRun(plan: plan, desired: desired, records: records, targets: targets, providers: providers)
    }

    /// Builds and observes the named providers concurrently; a failure is that provider's
    /// observation, never an error of the whole plan.
    private func observe(_ scope: [String], desired: DesiredState, targets: [Address]) async
        -> (providers: [String: any Provider], observations: [String: ProviderObservation])
    {
        var providers: [String: any Provider] = [:]
        var observations: [String: ProviderObservation] = [:]
        for name in scope {
            guard let config = desired.provider(named: name) else { continue }
            do {
                providers[name] = try buildProvider(config)
            } catch {
                observations[name] = .failed(error.description)
            }
        }
        let targetNames = Dictionary(grouping: targets, by: \.provider).mapValues { Set($0.map(\.name)) }
        let delegate = self.delegate
        let observed = await withTaskGroup(of: (String, ProviderObservation).self) { group in
            for (name, provider) in providers {
                group.addTask {
                    delegate.engine(.observing(provider: name))
                    do {
                        let objects = try await provider.observe(names: targetNames[name])
                        delegate.engine(.observed(provider: name, connections: objects.count))
                        return (name, .observed(objects))
                    } catch {
                        let message = (error as? ProviderError)?.description ?? "observe \(name): \(error)"
                        delegate.engine(.observeFailed(provider: name, message: message))
                        return (name, .failed(message))
                    }
                }
            }
            var result: [String: ProviderObservation] = [:]
            for await (name, observation) in group { result[name] = observation }
            return result
        }
        observations.merge(observed) { _, new in new }
        return (providers, observations)
    }

    // MARK: - apply

    /// Sends every change of the plan (each provider's requests bounded by its transport's
    /// limits), reports each result as it completes, then records state and history.
    /// A failure on one connection never stops the others.
    public func apply(_ run: PlanRun, command: String, host: String) async throws -> ApplyReport {
        let started = Date()
        let delegate = self.delegate
        let clock = self.clock
        let providers = run.providers
        let outcomes = await withTaskGroup(of: (ChangeResult, ApplyResponse?).self) { group in
            for change in run.plan.actionable {
                group.addTask {
                    delegate.engine(.changeStarted(change))
                    let start = clock.now()
                    var response: ApplyResponse?
                    let outcome: ChangeResult.Outcome
                    if let refusal = change.refusal {
                        outcome = .refused(refusal)
                    } else if let provider = providers[change.address.provider] {
                        do {
                            let answer = try await provider.apply(change)
                            response = answer
                            outcome = .succeeded(status: answer.status)
                        } catch {
                            outcome = .failed((error as? ProviderError)?.summary ?? "\(error)")
                        }
                    } else {
                        outcome = .failed("provider \(change.address.provider) is not available")
                    }
                    let result = ChangeResult(
                        address: change.address, action: change.action, method: change.request?.method, outcome: outcome,
                        duration: start.duration(to: clock.now()))
                    delegate.engine(.changeFinished(result))
                    return (result, response)
                }
            }
            var collected: [(ChangeResult, ApplyResponse?)] = []
            for await item in group { collected.append(item) }
            return collected
        }
        let results = outcomes.map { $0.0 }.sorted { $0.address < $1.address }
        try await record(run, outcomes: outcomes)
        let report = ApplyReport(results: results, problems: run.plan.problems)
        let entry = HistoryEntry(
            id: nil, startedAt: started, finishedAt: Date(), command: command, commit: run.plan.source.commit,
            source: run.plan.source.location, host: host, created: report.created, updated: report.updated,
            deleted: report.deleted, failed: report.failed + report.problems.count,
            changes: results.map { result in
                let outcome: String
                let message: String?
                switch result.outcome {
                case .succeeded: (outcome, message) = ("ok", nil)
                case .failed(let text): (outcome, message) = ("failed", text)
                case .refused(let text): (outcome, message) = ("refused", text)
                }
                return HistoryChange(address: result.address, action: result.action.rawValue, outcome: outcome, message: message)
            })
        if !results.isEmpty || !run.plan.recordsToDrop.isEmpty {
            _ = try await store.appendHistory(entry)
        }
        return report
    }

    /// Writes what the apply established into state, in one transaction per kind of write.
    private func record(_ run: PlanRun, outcomes: [(ChangeResult, ApplyResponse?)]) async throws {
        let prior = Dictionary(run.records.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        let changes = Dictionary(run.plan.changes.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Date()
        var upserts: [ConnectionRecord] = []
        var removals: [Address] = run.plan.recordsToDrop

        func record(for change: Change, remoteID: String?) -> ConnectionRecord? {
            guard let update = change.recordUpdate else { return nil }
            let old = prior[change.address]
            return ConnectionRecord(
                address: change.address, vendor: change.vendor, remoteID: remoteID ?? change.remoteID ?? old?.remoteID,
                isCreatedByConnsync: update.isCreatedByConnsync || (old?.isCreatedByConnsync ?? false),
                secretHashes: update.secretHashes, appliedValueHash: update.appliedValueHash,
                lastCommit: run.plan.source.commit ?? old?.lastCommit, updatedAt: now)
        }

        for (result, response) in outcomes where result.isSuccess {
            guard let change = changes[result.address] else { continue }
            if change.action == .delete {
                removals.append(change.address)
            } else if let new = record(for: change, remoteID: response?.remoteID) {
                upserts.append(new)
            }
        }
        // Connections already in step: remember their remote id (and drop hashes of secrets no
        // longer declared), writing only what differs.
        for change in run.plan.changes where change.action == .noOp {
            guard let update = change.recordUpdate else { continue }
            let old = prior[change.address]
            if old == nil || old?.remoteID != change.remoteID || old?.secretHashes != update.secretHashes {
                if var new = record(for: change, remoteID: change.remoteID) {
                    new.lastCommit = old?.lastCommit
                    upserts.append(new)
                }
            }
        }
        if !upserts.isEmpty { try await store.upsert(upserts) }
        if !removals.isEmpty { try await store.remove(removals) }
    }
}
