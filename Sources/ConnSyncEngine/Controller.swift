import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation
import Logging

/// Why the controller reconciles.
public enum ReconcileTrigger: String, Sendable, Hashable, CaseIterable {
    case startup
    /// The poll found the ref at a new commit (or wants to check).
    case poll
    /// The periodic drift re-check (`--resync`).
    case resync
    /// A verified push webhook.
    case webhook
    /// A retry after a failed run (exponential back-off).
    case retry
}

/// What one controller run did.
public enum ReconcileResult: String, Sendable, Hashable {
    case success
    case failure
    /// The state lock was held by someone else for longer than the lock timeout.
    case skipped
    /// The ref did not move and nothing asked for a drift check.
    case unchanged
}

/// The controller's settings (`connsync watch`).
public struct ControllerConfiguration: Sendable {
    public var interval: Duration
    public var resync: Duration
    public var lockTimeout: Duration
    /// First delay after a failed run; doubles per consecutive failure, up to `maximumBackoff`.
    public var failureBackoff: Duration
    public var maximumBackoff: Duration
    public var host: String

    public init(
        interval: Duration = .seconds(60), resync: Duration = .seconds(600), lockTimeout: Duration = .seconds(30),
        failureBackoff: Duration = .seconds(5), maximumBackoff: Duration = .seconds(300), host: String = ProcessInfo.processInfo.hostName
    ) {
        self.interval = interval
        self.resync = resync
        self.lockTimeout = lockTimeout
        self.failureBackoff = failureBackoff
        self.maximumBackoff = maximumBackoff
        self.host = host
    }
}

/// Everything a run needs, wired by the composition root.
public struct ControllerDependencies: Sendable {
    /// Reads the desired state at the ref's current commit (fetching a remote first).
    public var loadDesired: @Sendable () async throws -> DesiredState
    public var store: any StateStore
    /// An engine for one run, reporting to that run's logger, and what to call when the run
    /// is over (closing connections).
    public var makeEngine: @Sendable (DesiredState, Logger) -> (engine: Engine, close: @Sendable () async -> Void)
    public var clock: any ConnSyncClock
    /// The revision the ref points at now (the commit, fetched first), without reading the
    /// desired state; nil when it cannot be told (then polls wait out a back-off).
    public var currentRevision: @Sendable () async -> String?

    public init(
        loadDesired: @escaping @Sendable () async throws -> DesiredState, store: any StateStore,
        makeEngine: @escaping @Sendable (DesiredState, Logger) -> (engine: Engine, close: @Sendable () async -> Void), clock: any ConnSyncClock,
        currentRevision: @escaping @Sendable () async -> String? = { nil }
    ) {
        self.loadDesired = loadDesired
        self.store = store
        self.makeEngine = makeEngine
        self.clock = clock
        self.currentRevision = currentRevision
    }
}

/// The long-running controller: reconciles whenever the ref points at a new commit, on
/// every verified webhook, and every `resync` to correct drift. Runs are serialised;
/// triggers that arrive during a run coalesce into one follow-up run. After a failure
/// the next run is retried with exponential back-off.
public actor Controller {
    public let configuration: ControllerConfiguration
    let dependencies: ControllerDependencies
    let metrics: ControllerMetrics
    let logger: Logger

    private var pending: Set<ReconcileTrigger> = []
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var isShuttingDown = false
    private var lastAppliedKey: String?
    private var consecutiveFailures = 0
    /// The revision the last failed run read (nil when it could not be told).
    private var failedRevision: String?
    /// The last desired state that loaded: drift is still measured against it while the
    /// source is broken.
    private var lastGoodDesired: DesiredState?
    private var retryTask: Task<Void, Never>?
    private(set) var runs = 0
    /// Whether the first reconcile finished (`/readyz`).
    public private(set) var isReady = false

    public init(configuration: ControllerConfiguration, dependencies: ControllerDependencies, metrics: ControllerMetrics, logger: Logger) {
        self.configuration = configuration
        self.dependencies = dependencies
        self.metrics = metrics
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a run; returns at once. Triggers during a run coalesce into one follow-up.
    /// Ignored once shutting down.
    @discardableResult
    public func trigger(_ reason: ReconcileTrigger) -> Bool {
        guard !isShuttingDown else { return false }
        pending.insert(reason)
        wake.yield()
        return true
    }

    /// Stops taking triggers; the run in progress finishes, then `run()` returns.
    public func shutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        retryTask?.cancel()
        logger.info("shutting down: finishing the run in progress, taking no new triggers")
        wake.finish()
    }

    /// The main loop: one run at startup, then one per wake-up, until ``shutdown()``.
    public func run() async {
        let clock = dependencies.clock
        let interval = configuration.interval
        let resync = configuration.resync
        let poller = Task { [weak self] in
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await self?.trigger(.poll)
            }
        }
        let resyncer = Task { [weak self] in
            while !Task.isCancelled {
                try? await clock.sleep(for: resync)
                guard !Task.isCancelled else { return }
                await self?.trigger(.resync)
            }
        }
        trigger(.startup)
        for await _ in wakeups {
            let reasons = pending
            pending = []
            if reasons.isEmpty { continue }
            await runOnce(reasons)
            if isShuttingDown { break }
        }
        poller.cancel()
        resyncer.cancel()
        retryTask?.cancel()
        logger.info("controller stopped")
    }

    private func runOnce(_ reasons: Set<ReconcileTrigger>) async {
        let started = dependencies.clock.now()
        runs += 1
        let reasonText = reasons.map(\.rawValue).sorted().joined(separator: ",")
        var log = logger
        log[metadataKey: "trigger"] = .string(reasonText)
        // In back-off after a failure, a poll or resync runs only when the ref moved (a new
        // commit may be the fix); otherwise the scheduled retry comes first.
        if consecutiveFailures > 0, reasons.isSubset(of: [.poll, .resync]) {
            let revision = await dependencies.currentRevision()
            guard let revision, revision != failedRevision else {
                runs -= 1
                log.debug("in back-off after a failure: waiting for the retry or a new commit")
                return
            }
        }
        let desired: DesiredState
        do {
            desired = try await dependencies.loadDesired()
        } catch {
            failedRevision = await dependencies.currentRevision()
            log.error("cannot read the desired state", metadata: ["error": .string(ErrorText.describe(error))])
            await measureDrift(log: log)
            finish(.failure, started: started, log: log)
            return
        }
        lastGoodDesired = desired
        let key = Self.key(desired.source)
        log[metadataKey: "commit"] = .string(desired.source.commit ?? "none")
        let onlyPoll = reasons.isSubset(of: [.poll]) && consecutiveFailures == 0
        if onlyPoll, key == lastAppliedKey {
            metrics.recordUnchanged()
            log.debug("the ref did not move")
            return
        }
        let result = await reconcile(desired, log: log)
        if result == .success { lastAppliedKey = key }
        if result == .failure { failedRevision = desired.source.commit }
        finish(result, started: started, log: log)
    }

    private func finish(_ result: ReconcileResult, started: ContinuousClock.Instant, log: Logger) {
        let duration = started.duration(to: dependencies.clock.now())
        metrics.recordRun(result: result, duration: duration)
        isReady = true
        switch result {
        case .failure:
            consecutiveFailures += 1
            var delay = configuration.failureBackoff
            for _ in 1..<max(1, min(consecutiveFailures, 20)) where delay < configuration.maximumBackoff { delay = delay * 2 }
            delay = min(delay, configuration.maximumBackoff)
            log.warning(
                "reconcile failed; retrying with back-off",
                metadata: ["failures": .stringConvertible(consecutiveFailures), "retry_in": .stringConvertible(LogSeconds(delay)), "duration": .stringConvertible(LogSeconds(duration))])
            scheduleRetry(after: delay)
        case .success, .skipped, .unchanged:
            if result == .success { consecutiveFailures = 0 }
            log.info("reconcile finished", metadata: ["result": .string(result.rawValue), "duration": .stringConvertible(LogSeconds(duration))])
        }
    }

    private func scheduleRetry(after delay: Duration) {
        retryTask?.cancel()
        let clock = dependencies.clock
        retryTask = Task { [weak self] in
            do { try await clock.sleep(for: delay) } catch { return }
            await self?.trigger(.retry)
        }
    }

    /// Lock, plan, log the plan, apply without prompt, record; the lock is released whatever
    /// happens (``Engine/reconcile(_:_:decide:runApply:)``).
    private func reconcile(_ desired: DesiredState, log: Logger) async -> ReconcileResult {
        let (engine, close) = dependencies.makeEngine(desired, log)
        let metrics = self.metrics
        let options = Engine.ReconcileOptions(
            command: "connsync watch", host: configuration.host, pid: ProcessInfo.processInfo.processIdentifier,
            lockTimeout: configuration.lockTimeout, views: false)
        let reconciliation: Engine.Reconciliation
        do {
            reconciliation = try await engine.reconcile(desired, options) { run in
                Self.logPlan(run.plan, metrics: metrics, log: log)
                return .apply
            }
        } catch {
            await close()
            switch error {
            case .locking(let cause):
                if case .lockTimeout(let current, _)? = cause as? StateError {
                    log.warning("skipped: the state is locked by another run", metadata: ["holder": .string(current.description)])
                    return .skipped
                }
                log.error("cannot lock the state", metadata: ["error": .string(ErrorText.describe(cause))])
            case .running(let cause):
                log.error("reconcile failed", metadata: ["error": .string(ErrorText.describe(cause))])
            }
            return .failure
        }
        await close()
        let run = reconciliation.run
        let report = reconciliation.outcome
        if reconciliation.report != nil { Self.logApplied(report, metrics: metrics, log: log) }
        if let stateError = report.stateError {
            log.error("cannot record the apply in state", metadata: ["error": .string(stateError)])
        }
        guard report.isSuccess else { return .failure }
        metrics.recordDrift(0)
        if let commit = desired.source.commit { metrics.recordCommit(commit) }
        return .success
    }

    /// The plan as log lines: its counts, each planned change, each drifted field, each problem.
    static func logPlan(_ plan: Plan, metrics: ControllerMetrics, log: Logger) {
        let summary = plan.summary
        metrics.recordDrift(summary.create + summary.update + summary.delete)
        log.info(
            "planned",
            metadata: [
                "create": .stringConvertible(summary.create), "update": .stringConvertible(summary.update),
                "delete": .stringConvertible(summary.delete), "unchanged": .stringConvertible(summary.unchanged),
                "errors": .stringConvertible(plan.problems.count),
            ])
        for change in plan.actionable {
            log.info(
                "planned change",
                metadata: [
                    "address": .string(change.address.description), "action": .string(change.action.rawValue),
                    "method": .string(change.request?.method ?? ""), "fields": .string(change.diffs.map(\.path.description).joined(separator: ",")),
                ])
        }
        logDrift(plan, log: log)
        for problem in plan.problems {
            log.error("cannot plan", metadata: ["target": .string(problem.address?.description ?? problem.provider), "error": .string(problem.message)])
        }
    }

    /// Each applied change, and the apply's counts.
    static func logApplied(_ report: ApplyReport, metrics: ControllerMetrics, log: Logger) {
        for change in report.results {
            switch change.outcome {
            case .succeeded(let status):
                metrics.recordChange(provider: change.address.provider, action: change.action)
                log.info(
                    "applied",
                    metadata: ["address": .string(change.address.description), "action": .string(change.action.rawValue), "status": .stringConvertible(status)])
            case .failed(let message), .refused(let message), .notSent(let message):
                log.error("change failed", metadata: ["address": .string(change.address.description), "error": .string(message)])
            }
        }
        log.info(
            "applied changes",
            metadata: [
                "created": .stringConvertible(report.created), "updated": .stringConvertible(report.updated),
                "deleted": .stringConvertible(report.deleted), "failed": .stringConvertible(report.failed),
            ])
    }

    /// While the source is broken, drift is measured against the last desired state that
    /// loaded (plan only: nothing is applied), so `connsync_drifted_connections` stays true.
    private func measureDrift(log: Logger) async {
        guard let desired = lastGoodDesired else { return }
        let (engine, close) = dependencies.makeEngine(desired, log)
        if let run = try? await engine.plan(desired, fingerprints: false, views: false) {
            let drifted = run.plan.summary.changes
            metrics.recordDrift(drifted)
            log.warning(
                "the source is broken: drift measured against the last commit that loaded",
                metadata: ["drifted": .stringConvertible(drifted), "last_good_commit": .string(desired.source.commit ?? "none")])
            Self.logDrift(run.plan, log: log)
        }
        await close()
    }

    /// One line per drifted field: old → new, secrets masked.
    static func logDrift(_ plan: Plan, log: Logger) {
        for change in plan.actionable {
            for diff in change.masked().diffs {
                let text: String
                if diff.isSensitive {
                    text = "(" + (diff.sensitiveSummary ?? "sensitive value") + ")"
                } else {
                    switch diff.kind {
                    case .add: text = "+ \(diff.after?.description ?? "null")"
                    case .remove: text = "- \(diff.before?.description ?? "null")"
                    case .change: text = "\(diff.before?.description ?? "null") -> \(diff.after?.description ?? "null")"
                    }
                }
                log.info(
                    "drift",
                    metadata: [
                        "address": .string(change.address.description), "action": .string(change.action.rawValue),
                        "field": .string(diff.path.description), "change": .string(text),
                    ])
            }
        }
    }

    /// What identifies the desired state's revision: the commit, dirty or not.
    static func key(_ source: SourceInfo) -> String {
        (source.commit ?? "no-commit") + (source.isDirty == true ? "+dirty" : "")
    }
}
