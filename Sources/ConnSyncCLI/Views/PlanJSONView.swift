import ConnSyncModel
import ConnSyncPlan

/// The JSON plan of cli.md (`--format json`): `format_version`, `source`,
/// `resource_changes`, `summary`, plus `errors` and `notes`. Every secret value is
/// the string `"(sensitive)"`; keys are sorted.
public struct PlanJSONView: Sendable {
    public static let formatVersion = "1.0"

    /// The state the plan used, credentials stripped.
    public var state: String?

    public init(state: String? = nil) {
        self.state = state
    }

    public func render(_ plan: Plan) -> String {
        value(plan).jsonString(pretty: true) + "\n"
    }

    public func value(_ plan: Plan) -> Value {
        let summary = plan.summary
        return [
            "format_version": .string(Self.formatVersion),
            "source": Self.source(plan.source),
            "resource_changes": .array(plan.changes.map(Self.resourceChange)),
            "summary": [
                "create": .int(summary.create), "update": .int(summary.update), "delete": .int(summary.delete),
                "unchanged": .int(summary.unchanged), "complete": .bool(plan.isComplete),
                "providers": .int(plan.providersConsidered), "failed_providers": .array(plan.failedProviders.map(Value.string)),
            ],
            "errors": .array(
                plan.problems.map { problem in
                    [
                        "address": problem.address.map { .string($0.description) } ?? .null, "provider": .string(problem.provider),
                        "message": .string(problem.message),
                    ]
                }),
            "notes": .array(plan.notes.map(Value.string)),
            "state": state.map(Value.string) ?? .null,
        ]
    }

    static func source(_ source: SourceInfo) -> Value {
        [
            "kind": .string(source.kind.rawValue),
            "location": .string(source.location),
            "ref": source.ref.map(Value.string) ?? .null,
            "commit": source.commit.map(Value.string) ?? .null,
            "path": source.path.map(Value.string) ?? .null,
            "dirty": source.isDirty.map(Value.bool) ?? .null,
        ]
    }

    /// One change as the planner masked it (``Change/masked()``): the view decides nothing.
    static func resourceChange(_ change: Change) -> Value {
        // masked() decides the sensitive paths once, from the values before they are masked.
        let shown = change.masked()
        let sensitive = Set(shown.sensitivePaths + shown.diffs.filter(\.isSensitive).map(\.path))
        return [
            "address": .string(change.address.description),
            "provider": .string(change.address.provider),
            "name": .string(change.address.name),
            "provider_type": .string(change.vendor.rawValue),
            "remote_id": change.remoteID.map(Value.string) ?? .null,
            "actions": .array(actions(change.action).map(Value.string)),
            "method": change.request.map { .string($0.method) } ?? .null,
            "before": shown.before ?? .null,
            "after": shown.after ?? .null,
            "sensitive_paths": .array(sensitive.sorted().map { .string($0.description) }),
            "changed_paths": .array(change.diffs.map { .string($0.path.description) }),
            "diffs": .array(shown.diffs.map(diff)),
            "notes": .array(change.notes.map(Value.string)),
            "refusal": change.refusal.map(Value.string) ?? .null,
            "request": shown.request.map { request in
                ["method": .string(request.method), "path": .string(request.path), "body": request.body ?? .null]
            } ?? .null,
        ]
    }

    /// The `actions` of the JSON plan (cli.md): a replace is an in-place update there.
    static func actions(_ action: Action) -> [String] {
        switch action {
        case .noOp: return ["no-op"]
        case .create: return ["create"]
        case .update, .replace: return ["update"]
        case .delete: return ["delete"]
        }
    }

    /// A diff of a masked change.
    static func diff(_ diff: FieldDiff) -> Value {
        [
            "path": .string(diff.path.description),
            "kind": .string(diff.kind.rawValue),
            "before": diff.before ?? .null,
            "after": diff.after ?? .null,
            "sensitive": .bool(diff.isSensitive),
            "note": diff.note.map(Value.string) ?? .null,
        ]
    }
}
