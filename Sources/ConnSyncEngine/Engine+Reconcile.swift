import ConnSyncModel
import ConnSyncPlan
import ConnSyncState
import Foundation

extension Engine {
    /// Who reconciles, and how: for the lock, the plan and the history.
    public struct ReconcileOptions: Sendable {
        /// The command the lock and the history name (`connsync apply`).
        public var command: String
        public var host: String
        public var pid: Int32
        /// How long to wait for a lock someone else holds.
        public var lockTimeout: Duration
        /// How often the lock's heartbeat is refreshed while the run holds it.
        public var heartbeat: Duration
        /// `--target` addresses; empty means every connection.
        public var targets: [Address]
        /// Whether the plan carries the fingerprints a saved plan is checked by.
        public var fingerprints: Bool
        /// Whether changes keep their views (see ``PlanInput/views``).
        public var views: Bool

        public init(
            command: String, host: String, pid: Int32, lockTimeout: Duration, heartbeat: Duration = .seconds(30), targets: [Address] = [],
            fingerprints: Bool = false, views: Bool = true
        ) {
            self.command = command
            self.host = host
            self.pid = pid
            self.lockTimeout = lockTimeout
            self.heartbeat = heartbeat
            self.targets = targets
            self.fingerprints = fingerprints
            self.views = views
        }
    }

    /// What the caller decides once it has seen the plan.
    public enum Decision: Sendable {
        /// Apply it (when it has work: ``PlanRun/hasWork``).
        case apply
        /// Send nothing.
        case stop
    }

    /// What a reconcile did: the plan, what the caller decided, and the apply's report when it applied.
    public struct Reconciliation: Sendable {
        public var run: PlanRun
        public var decision: Decision
        /// Nil when nothing was applied (the caller stopped, or the plan had no work).
        public var report: ApplyReport?

        /// The report, or, when nothing was applied, one of no results with the plan's problems.
        public var outcome: ApplyReport {
            report ?? ApplyReport(results: [], problems: run.plan.problems)
        }
    }

    /// Why a reconcile failed: the lock could not be taken (nothing was observed), or the
    /// run failed after (the lock was released).
    public enum ReconcileError: Error, Sendable {
        case locking(any Error)
        case running(any Error)
    }

    /// Runs an apply (the caller may make it interruptible).
    public typealias ApplyRunner = @Sendable (_ apply: @escaping @Sendable () async throws -> ApplyReport) async throws -> ApplyReport

    /// The one reconcile path of `apply`, `watch` and the demo: lock the state, keep the lock's
    /// heartbeat on the engine's clock, plan, let `decide` look at the plan, apply and record
    /// what it decided, and release the lock whatever happens.
    ///
    /// - Parameter runApply: runs the apply; by default as it is.
    public func reconcile(
        _ desired: DesiredState, _ options: ReconcileOptions, decide: @Sendable (PlanRun) async -> Decision,
        runApply: ApplyRunner = { try await $0() }
    ) async throws(ReconcileError) -> Reconciliation {
        let now = clock.date()
        let holder = LockHolder(host: options.host, pid: options.pid, command: options.command, startedAt: now, heartbeatAt: now)
        let lock: AcquiredLock
        do {
            lock = try await store.acquireLock(holder, options: LockOptions(timeout: options.lockTimeout))
        } catch {
            throw .locking(error)
        }
        if let previous = lock.tookOverFrom { delegate.engine(.lockTakenOver(from: previous.description)) }
        let store = self.store
        let clock = self.clock
        let interval = options.heartbeat
        let heartbeat = Task {
            while !Task.isCancelled {
                try await clock.sleep(for: interval)
                try? await store.heartbeat(lock)
            }
        }
        let outcome: Result<Reconciliation, any Error>
        do {
            let run = try await plan(desired, targets: options.targets, fingerprints: options.fingerprints, views: options.views)
            var report: ApplyReport?
            let decision = await decide(run)
            if decision == .apply, run.hasWork {
                report = try await runApply { [self] in try await apply(run, command: options.command, host: options.host) }
            }
            outcome = .success(Reconciliation(run: run, decision: decision, report: report))
        } catch {
            outcome = .failure(error)
        }
        heartbeat.cancel()
        // In a task of its own: an interrupted (cancelled) run still releases its lock.
        let released: String? = await Task {
            do {
                try await store.releaseLock(lock)
                return nil
            } catch {
                return ErrorText.describe(error)
            }
        }.value
        if let released { delegate.engine(.lockReleaseFailed(released)) }
        switch outcome {
        case .success(let reconciliation): return reconciliation
        case .failure(let error): throw .running(error)
        }
    }
}
