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
    /// The round trips dominate, so the rest is fitted around them: state is read while the
    /// providers are observed, and each provider's connections are planned as soon as its
    /// list pages are in, while slower providers are still answering. A provider in scope
    /// only through state (prune) is observed after state is read.
    ///
    /// `fingerprints`: whether the plan carries the fingerprints a saved plan is checked by
    /// (see ``PlanInput/fingerprints``); only `plan --out` and `apply PLANFILE` need them.
    public func plan(_ desired: DesiredState, targets: [Address] = [], fingerprints: Bool = true) async throws -> PlanRun {
        let firstScope = Planner.providersInScope(desired: desired, records: [], targets: targets)
        var (providers, observations) = build(firstScope, desired: desired)
        let planner = self.planner
        let store = self.store
        let delegate = self.delegate
        let targetNames = Dictionary(grouping: targets, by: \.provider).mapValues { Set($0.map(\.name)) }

        struct LoadedState: Sendable {
            var records: [ConnectionRecord]
            var priors: [PriorRecord]
            var key: [UInt8]
        }
        enum Event: Sendable {
            case state(LoadedState)
            case observed(String, ProviderObservation)
            case planned(ProviderPlan)
        }
        let observable = providers
        let (state, preplanned, observed) = try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask {
                let records = try await store.records()
                return .state(LoadedState(records: records, priors: records.map(Self.prior), key: try await store.secretKey()))
            }
            for (name, provider) in observable {
                group.addTask { .observed(name, await Self.observe(name, provider, names: targetNames[name], delegate: delegate)) }
            }
            var state: LoadedState?
            var waiting: [(String, ProviderObservation)] = []
            var observed: [String: ProviderObservation] = [:]
            var preplanned: [ProviderPlan] = []
            func startPlanning(_ name: String, _ observation: ProviderObservation, _ state: LoadedState) {
                let input = PlanInput(
                    desired: desired, observations: [name: observation], records: state.priors, secretKey: state.key, targets: targets,
                    fingerprints: fingerprints)
                group.addTask { .planned(planner.planConnections(of: name, input)) }
            }
            for try await event in group {
                switch event {
                case .state(let loaded):
                    state = loaded
                    for (name, observation) in waiting { startPlanning(name, observation, loaded) }
                    waiting = []
                case .observed(let name, let observation):
                    observed[name] = observation
                    if let state { startPlanning(name, observation, state) } else { waiting.append((name, observation)) }
                case .planned(let plan):
                    preplanned.append(plan)
                }
            }
            guard let state else { throw CancellationError() }  // the state task always reports or throws
            return (state, preplanned, observed)
        }
        observations.merge(observed) { _, new in new }

        let rest = Planner.providersInScope(desired: desired, records: state.priors, targets: targets).filter { observations[$0] == nil }
        if !rest.isEmpty {
            var (more, failed) = build(rest, desired: desired)
            for (name, provider) in more {
                failed[name] = await Self.observe(name, provider, names: targetNames[name], delegate: delegate)
            }
            providers.merge(more) { _, new in new }
            observations.merge(failed) { _, new in new }
        }
        let plan = planner.plan(
            PlanInput(
                desired: desired, observations: observations, records: state.priors, secretKey: state.key, targets: targets,
                fingerprints: fingerprints),
            preplanned: preplanned)
        return PlanRun(plan: plan, desired: desired, records: state.records, targets: targets, providers: providers)
    }

    static func prior(_ record: ConnectionRecord) -> PriorRecord {
        PriorRecord(address: record.address, remoteID: record.remoteID, isCreatedByConnsync: record.isCreatedByConnsync, secretHashes: record.secretHashes)
    }

    /// The providers of `scope`; one that cannot be built is a failed observation.
    private func build(_ scope: [String], desired: DesiredState) -> (providers: [String: any Provider], failed: [String: ProviderObservation]) {
        var providers: [String: any Provider] = [:]
        var failed: [String: ProviderObservation] = [:]
        for name in scope {
            guard let config = desired.provider(named: name) else { continue }
            do {
                providers[name] = try buildProvider(config)
            } catch {
                failed[name] = .failed(error.description)
            }
        }
        return (providers, failed)
    }

    /// Observes one provider; a failure is its observation, never an error of the whole plan.
    private static func observe(_ name: String, _ provider: any Provider, names: Set<String>?, delegate: any EngineDelegate) async
        -> ProviderObservation
    {
        delegate.engine(.observing(provider: name))
        do {
            let objects = try await provider.observe(names: names)
            delegate.engine(.observed(provider: name, connections: objects.count))
            return .observed(objects)
        } catch {
            delegate.engine(.observeFailed(provider: name, message: error.description))
            return .failed(error.description)
        }
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
        if upserts.contains(where: { $0.appliedValueHash == nil }) {
            // A plan made without fingerprints leaves the applied-value hashes to be worked out
            // here, for the records written only (spread over the cores: an apply may write thousands).
            let hasher = SecretHasher(key: try await store.secretKey())
            upserts = Parallel.map(upserts) { record in
                var record = record
                if record.appliedValueHash == nil, let after = changes[record.address]?.after {
                    record.appliedValueHash = hasher.appliedValueHash(after, of: record.address, known: record.secretHashes)
                }
                return record
            }
        }
        if !upserts.isEmpty { try await store.upsert(upserts) }
        if !removals.isEmpty { try await store.remove(removals) }
    }
}
