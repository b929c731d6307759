import ConnSyncPlan
import Foundation
import Prometheus

/// The controller's Prometheus metrics (cli.md), in a registry owned by the controller
/// (no global metrics system): `connsync_reconcile_total{result}`,
/// `connsync_reconcile_duration_seconds`, `connsync_changes_applied_total{provider,action}`,
/// `connsync_drifted_connections`, `connsync_last_applied_commit_info{commit}`.
public final class ControllerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    private let runs: [ReconcileResult: Counter]
    private let duration: DurationHistogram
    private let drifted: Gauge
    private var changes: [String: Counter] = [:]
    private var commit: (String, Gauge)?

    public init() {
        var runs: [ReconcileResult: Counter] = [:]
        for result in [ReconcileResult.success, .failure, .skipped, .unchanged] {
            runs[result] = registry.makeCounter(
                name: "connsync_reconcile_total", labels: [("result", result.rawValue)], help: "Controller runs, by result.")
        }
        self.runs = runs
        duration = registry.makeDurationHistogram(
            name: "connsync_reconcile_duration_seconds",
            buckets: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)],
            help: "Duration of controller runs that reconciled.")
        drifted = registry.makeGauge(name: "connsync_drifted_connections", help: "Connections whose remote state differs from the desired state, as last observed.")
    }

    func recordRun(result: ReconcileResult, duration: Duration) {
        runs[result]?.increment()
        let components = duration.components
        self.duration.recordNanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }

    func recordUnchanged() {
        runs[.unchanged]?.increment()
    }

    func recordDrift(_ count: Int) {
        drifted.set(Double(count))
    }

    func recordChange(provider: String, action: Action) {
        // The metric's label: a replace is an update (as in the JSON plan).
        let actionName = action == .replace ? Action.update.rawValue : action.rawValue
        let counter: Counter = lock.withLock {
            let key = provider + "\u{1F}" + actionName
            if let existing = changes[key] { return existing }
            let made = registry.makeCounter(
                name: "connsync_changes_applied_total", labels: [("provider", provider), ("action", actionName)],
                help: "Changes applied successfully, by provider and action.")
            changes[key] = made
            return made
        }
        counter.increment()
    }

    func recordCommit(_ value: String) {
        lock.withLock {
            if let (current, _) = commit, current == value { return }
            if let (_, gauge) = commit { registry.unregisterGauge(gauge) }
            let gauge = registry.makeGauge(
                name: "connsync_last_applied_commit_info", labels: [("commit", value)], help: "The commit the controller last applied (value 1).")
            gauge.set(Double(1))
            commit = (value, gauge)
        }
    }

    /// The Prometheus text exposition format.
    public func exposition() -> String {
        registry.emitToString()
    }
}
