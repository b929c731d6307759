import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan

/// `apply --format json`: the plan (as ``PlanJSONView`` shows it) and every change's result.
struct ApplyJSONView: Sendable {
    let plan: PlanJSONView

    func render(plan: Plan, report: ApplyReport) -> String {
        value(plan: plan, report: report).jsonString(pretty: true) + "\n"
    }

    func value(plan: Plan, report: ApplyReport) -> Value {
        let results: [Value] = report.results.map { result in
            var entry: [String: Value] = [
                "address": .string(result.address.description), "action": .string(PlanJSONView.actions(result.action)[0]),
                "method": result.method.map(Value.string) ?? .null, "duration_ms": .int(ApplyView.milliseconds(result.duration)),
            ]
            switch result.outcome {
            case .succeeded(let status):
                entry["status"] = "succeeded"
                entry["http_status"] = .int(status)
            case .failed(let message):
                entry["status"] = "failed"
                entry["error"] = .string(message)
            case .refused(let reason):
                entry["status"] = "refused"
                entry["error"] = .string(reason)
            case .notSent(let reason):
                entry["status"] = "not-sent"
                entry["error"] = .string(reason)
            }
            return .object(entry)
        }
        return [
            "plan": self.plan.value(plan),
            "apply": [
                "results": .array(results),
                "summary": [
                    "created": .int(report.created), "updated": .int(report.updated), "deleted": .int(report.deleted),
                    "failed": .int(report.failed + report.problems.count), "not_sent": .int(report.notSent),
                    "interrupted": .bool(report.wasInterrupted),
                ],
            ],
        ]
    }
}
