import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan

/// Apply's result lines (cli.md): one per change as it completes, then the summary.
///
/// `✓ bi-prod/orders-reporting updated (PATCH 200, 84 ms)`
/// `✗ crm-prod/orders failed: 422 Unprocessable Entity: ...`
/// `Apply complete: N created, N updated, N deleted, N failed.`
public struct ApplyView: Sendable {
    public var style: TextStyle

    public init(style: TextStyle) {
        self.style = style
    }

    public func line(_ result: ChangeResult) -> String {
        let address = result.address.description
        switch result.outcome {
        case .succeeded(let status):
            let method = result.method.map { "\($0) " } ?? ""
            return "\(style.green("✓")) \(address) \(Self.pastTense(result.action)) (\(method)\(status), \(Self.milliseconds(result.duration)) ms)"
        case .failed(let message):
            return "\(style.red("✗")) \(address) failed: \(message)"
        case .refused(let reason):
            return "\(style.red("✗")) \(address) refused, nothing sent: \(reason)"
        case .notSent(let reason):
            return "\(style.yellow("-")) \(address) not sent: \(reason)"
        }
    }

    /// The `✗` line of something the plan could not do: a provider not observed, or a
    /// connection not planned (cli.md v1.1: one per provider that could not be observed).
    public func line(_ problem: PlanProblem) -> String {
        guard let address = problem.address else {
            return "\(style.red("✗")) \(problem.provider): could not be observed: \(problem.message)"
        }
        return "\(style.red("✗")) \(address) could not be planned: \(problem.message)"
    }

    public func summary(_ report: ApplyReport) -> String {
        let counts = "\(report.created) created, \(report.updated) updated, \(report.deleted) deleted, \(report.failed + report.problems.count) failed"
        guard report.wasInterrupted else { return "Apply complete: \(counts)." }
        return "Apply interrupted: \(counts), \(report.notSent) not sent."
    }

    /// Every failure again, after the summary line, so that the end of a log says what failed.
    public func failures(_ report: ApplyReport) -> [String] {
        let failed = report.problems.map(line) + report.results.filter { !$0.isSuccess && !$0.isNotSent }.map(line)
        let notSent = report.results.filter(\.isNotSent).map(line)
        var lines: [String] = []
        if !failed.isEmpty { lines += ["", "Failed (\(failed.count)):"] + failed.map { "  " + $0 } }
        if !notSent.isEmpty { lines += ["", "Not sent (\(notSent.count)):"] + notSent.map { "  " + $0 } }
        return lines
    }

    static func pastTense(_ action: Action) -> String {
        switch action {
        case .create: return "created"
        case .update: return "updated"
        case .replace: return "updated"
        case .delete: return "deleted"
        case .noOp: return "unchanged"
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let components = duration.components
        return Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
