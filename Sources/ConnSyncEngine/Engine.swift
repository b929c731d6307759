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
    /// Decides the gate of a plan when it starts (after the lock is taken: deciding may read a
    /// trusted source).
    let decideGate: @Sendable () -> ProviderGate
    /// The redactor of the desired state this engine plans, when its builder has one already
    /// (the transports' own); else each plan gathers it.
    let redactor: Redactor?

    /// - Parameter mappings: the mapping of every vendor the desired state may name (the
    ///   registry's, ``VendorRegistry/mappings``).
    public init(
        mappings: [any VendorMapping], buildProvider: @escaping ProviderBuilder, store: any StateStore, clock: any ConnSyncClock,
        delegate: any EngineDelegate = SilentDelegate(), gate: ProviderGate = ProviderGate()
    ) {
        self.init(mappings: mappings, buildProvider: buildProvider, store: store, clock: clock, delegate: delegate, decideGate: { gate })
    }

    /// - Parameter decideGate: called once per plan, when it starts.
    public init(
        mappings: [any VendorMapping], buildProvider: @escaping ProviderBuilder, store: any StateStore, clock: any ConnSyncClock,
        delegate: any EngineDelegate = SilentDelegate(), decideGate: @escaping @Sendable () -> ProviderGate, redactor: Redactor? = nil
    ) {
        self.redactor = redactor
        self.buildProvider = buildProvider
        self.store = store
        self.clock = clock
        self.delegate = delegate
        self.decideGate = decideGate
        planner = Planner(mappings: mappings)
    }

    /// Providers nothing may be sent to in this run, decided before any request (cli.md v1.1,
    /// "Trust"): a Provider that differs from the trusted source, or whose host no
    /// `--allow-host` pattern allows.
    public struct ProviderGate: Sendable {
        /// Provider name → why nothing is sent to it (it counts as not observed).
        public var refusals: [String: String]
        /// Providers of the trusted source that this source lacks → the error to report.
        public var removals: [String: String]

        public init(refusals: [String: String] = [:], removals: [String: String] = [:]) {
            self.refusals = refusals
            self.removals = removals
        }
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
    /// `views`: whether changes keep their views (see ``PlanInput/views``).
    public func plan(_ desired: DesiredState, targets: [Address] = [], fingerprints: Bool = true, views: Bool = true) async throws
        -> PlanRun
    {
        let firstScope = Planner.providersInScope(desired: desired, records: [], targets: targets)
        delegate.engine(.planning(providers: firstScope.count))
        defer { delegate.engine(.planned) }
        let gate = decideGate()
        var (providers, observations) = build(firstScope, desired: desired, gate: gate)
        let planner = self.planner
        let store = self.store
        let delegate = self.delegate
        let targetNames = Dictionary(grouping: targets, by: \.provider).mapValues { Set($0.map(\.name)) }
        let redactor = self.redactor ?? desired.redactor

        struct LoadedState: Sendable {
            var records: [ConnectionRecord]
            var priors: [PriorRecord]
            var key: [UInt8]
        }
        enum Event: Sendable {
            case state(LoadedState)
            case observed(String, ProviderObservation)
            case planned(ProviderPlan?)
        }
        let observable = providers
        let (state, preplanned, observed) = try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask {
                let records = try await store.records()
                return .state(LoadedState(records: records, priors: records.map(Self.prior), key: try await store.secretKey()))
            }
            // On the global pool, not the transport's loop: parsed there, 50,000 objects of list
            // pages grew a malloc arena of their own that planning could not reuse, and the peak
            // of a 50,000 apply rose by 30-40 MB, past 400 MiB (the plan itself was a tenth faster).
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
                    fingerprints: fingerprints, views: views, redactor: redactor)
                group.addTask { .planned(planner.planConnections(of: name, input)) }
            }
            for try await event in group {
                switch event {
                case .state(let loaded):
                    state = loaded
                    for (name, observation) in waiting { startPlanning(name, observation, loaded) }
                    waiting = []
                case .observed(let name, let observation):
                    // A provider planned early keeps no list here: its plan holds what the
                    // final plan needs, so the list is freed once planned (saved plans'
                    // fingerprints need every list, failures their message).
                    guard observation.isObserved else {
                        observed[name] = observation
                        continue
                    }
                    if fingerprints { observed[name] = observation }
                    if let state { startPlanning(name, observation, state) } else { waiting.append((name, observation)) }
                case .planned(let plan):
                    if let plan { preplanned.append(plan) }
                }
            }
            guard let state else { throw CancellationError() }  // the state task always reports or throws
            return (state, preplanned, observed)
        }
        observations.merge(observed) { _, new in new }

        let planned = Set(preplanned.map(\.provider))
        let rest = Planner.providersInScope(desired: desired, records: state.priors, targets: targets).filter {
            observations[$0] == nil && !planned.contains($0)
        }
        if !rest.isEmpty {
            var (more, failed) = build(rest, desired: desired, gate: gate)
            for (name, provider) in more {
                failed[name] = await Self.observe(name, provider, names: targetNames[name], delegate: delegate)
            }
            providers.merge(more) { _, new in new }
            observations.merge(failed) { _, new in new }
        }
        var plan = planner.plan(
            PlanInput(
                desired: desired, observations: observations, records: state.priors, secretKey: state.key, targets: targets,
                fingerprints: fingerprints, views: views, redactor: redactor),
            preplanned: preplanned)
        for (name, message) in gate.removals.sorted(by: { $0.key < $1.key }) {
            plan.problems.append(PlanProblem(address: nil, provider: name, message: message))
        }
        return PlanRun(plan: plan, desired: desired, records: state.records, targets: targets, providers: providers)
    }

    static func prior(_ record: ConnectionRecord) -> PriorRecord {
        PriorRecord(
            address: record.address, remoteID: record.remoteID, isCreatedByConnsync: record.isCreatedByConnsync,
            secretHashes: record.secretHashes, interrupted: record.pending?.rawValue)
    }

    /// The providers of `scope`; one that is refused or cannot be built is a failed observation.
    private func build(_ scope: [String], desired: DesiredState, gate: ProviderGate) -> (
        providers: [String: any Provider], failed: [String: ProviderObservation]
    ) {
        var providers: [String: any Provider] = [:]
        var failed: [String: ProviderObservation] = [:]
        for name in scope {
            guard let config = desired.provider(named: name) else { continue }
            if let refusal = gate.refusals[name] {
                // Refused before any request: the provider is never even built.
                failed[name] = .failed(refusal)
                continue
            }
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
}
