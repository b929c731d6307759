import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan

/// Apply's result lines (cli.md): one per change as it completes, then the summary.
///
/// `✓ reporter-prod/orders-reporting updated (PATCH 200, 84 ms)`
/// `✗ wiremock-prod/orders failed: 422 Unprocessable Entity: ...`
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
        }
    }

    public func summary(_ report: ApplyReport) -> String {
        "Apply complete: \(report.created) created, \(report.updated) updated, \(report.deleted) deleted, \(report.failed + report.problems.count) failed."
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
