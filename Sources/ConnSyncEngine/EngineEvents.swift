import ConnSyncModel
import ConnSyncPlan

/// The outcome of one change of an apply.
public struct ChangeResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The vendor accepted the change (final HTTP status).
        case succeeded(status: Int)
        /// The vendor (or the network) refused it; the text names the vendor's code and message.
        case failed(String)
        /// connsync refused to send it (see `Change.refusal`); nothing was sent.
        case refused(String)
        /// The apply was interrupted (Ctrl-C, SIGTERM) before this change was sent.
        case notSent(String)
    }

    public var address: Address
    public var action: Action
    public var method: String?
    public var outcome: Outcome
    public var duration: Duration

    public init(address: Address, action: Action, method: String?, outcome: Outcome, duration: Duration) {
        self.address = address
        self.action = action
        self.method = method
        self.outcome = outcome
        self.duration = duration
    }

    public var isSuccess: Bool {
        if case .succeeded = outcome { return true }
        return false
    }

    public var isNotSent: Bool {
        if case .notSent = outcome { return true }
        return false
    }
}

/// What an apply did.
public struct ApplyReport: Sendable, Hashable {
    public var results: [ChangeResult]
    /// Problems of the plan (connections that could not be planned): they count as failures.
    public var problems: [PlanProblem]
    /// Why state could not be written during or after the apply (nothing more was sent once it failed).
    public var stateError: String?

    public init(results: [ChangeResult], problems: [PlanProblem] = [], stateError: String? = nil) {
        self.results = results
        self.problems = problems
        self.stateError = stateError
    }

    public var created: Int { results.filter { $0.isSuccess && $0.action == .create }.count }
    public var updated: Int { results.filter { $0.isSuccess && ($0.action == .update || $0.action == .replace) }.count }
    public var deleted: Int { results.filter { $0.isSuccess && $0.action == .delete }.count }
    public var failed: Int { results.filter { !$0.isSuccess && !$0.isNotSent }.count }
    /// Changes an interruption kept from being sent.
    public var notSent: Int { results.filter(\.isNotSent).count }
    /// Whether the apply was interrupted before every change was sent.
    public var wasInterrupted = false

    /// Everything converged: no failed or refused change and no unplanned connection.
    public var isSuccess: Bool { failed == 0 && notSent == 0 && !wasInterrupted && problems.isEmpty && stateError == nil }
}

/// Progress and facts the engine reports while it works; views render them.
public enum EngineEvent: Sendable {
    /// A plan starts: this many providers are to be observed (one in scope only through state,
    /// for prune, is counted when it is observed).
    case planning(providers: Int)
    /// The plan is made.
    case planned
    /// An apply starts sending this many changes (none when there is nothing to send).
    case applying(changes: Int)
    /// The apply is over.
    case applied
    case observing(provider: String)
    case observed(provider: String, connections: Int)
    case observeFailed(provider: String, message: String)
    case changeStarted(Change)
    case changeFinished(ChangeResult)
    /// A transient failure is being retried (`reason` holds no secret).
    case retrying(provider: String, attempt: Int, delay: Duration, reason: String)
    /// A job at the vendor holds the connection (the vendor answered busy); the change waits.
    /// `code`: the vendor's code for "busy", when it gives one.
    case waitingForJob(address: Address, attempt: Int, delay: Duration, code: String?)
    case waitingForLock(holder: String)
    case lockTakenOver(from: String)
    /// The state lock could not be released (it expires once its heartbeat is stale).
    case lockReleaseFailed(String)
}

/// Receives ``EngineEvent``s. Called from concurrent tasks: implementations must be thread-safe.
public protocol EngineDelegate: Sendable {
    func engine(_ event: EngineEvent)
}

/// A delegate that ignores everything.
public struct SilentDelegate: EngineDelegate {
    public init() {}
    public func engine(_ event: EngineEvent) {}
}
