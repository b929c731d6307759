import ConnSyncModel
import ConnSyncPlan

/// The JSON plan of cli.md (`--format json`): `format_version`, `source`,
/// `resource_changes`, `summary`, plus `errors` and `notes`. Every secret value is
/// the string `"(sensitive)"`; keys are sorted.
public struct PlanJSONView: Sendable {
    public static let formatVersion = "1.0"

    public init() {}

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
                "unchanged": .int(summary.unchanged),
            ],
            "errors": .array(
                plan.problems.map { problem in
                    [
                        "address": problem.address.map { .string($0.description) } ?? .null, "provider": .string(problem.provider),
                        "message": .string(problem.message),
                    ]
                }),
            "notes": .array(plan.notes.map(Value.string)),
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

    static func resourceChange(_ change: Change) -> Value {
        var sensitive = Set(change.sensitivePaths + change.diffs.filter(\.isSensitive).map(\.path))
        for view in [change.before, change.after].compactMap({ $0 }) { sensitive.formUnion(Planner.sensitivePaths(in: view)) }
        let masked: (Value?) -> Value = { view in view.map { $0.masking(paths: sensitive) } ?? .null }
        return [
            "address": .string(change.address.description),
            "provider": .string(change.address.provider),
            "name": .string(change.address.name),
            "provider_type": .string(change.vendor.rawValue),
            "remote_id": change.remoteID.map(Value.string) ?? .null,
            "actions": .array(change.action.jsonActions.map(Value.string)),
            "method": change.request.map { .string($0.method) } ?? .null,
            "before": masked(change.before),
            "after": masked(change.after),
            "sensitive_paths": .array(sensitive.sorted().map { .string($0.description) }),
            "changed_paths": .array(change.diffs.map { .string($0.path.description) }),
            "diffs": .array(change.diffs.map(diff)),
            "notes": .array(change.notes.map(Value.string)),
            "refusal": change.refusal.map(Value.string) ?? .null,
            "request": change.request.map { request in
                [
                    "method": .string(request.method), "path": .string(request.path),
                    "body": request.body.map { $0.masking(paths: bodySensitivePaths($0)) } ?? .null,
                ]
            } ?? .null,
        ]
    }

    static func diff(_ diff: FieldDiff) -> Value {
        let show: (Value?) -> Value = { value in
            guard let value else { return .null }
            return diff.isSensitive ? .string(Sensitive<String>.mask) : value.masked
        }
        return [
            "path": .string(diff.path.description),
            "kind": .string(diff.kind.rawValue),
            "before": show(diff.before),
            "after": show(diff.after),
            "sensitive": .bool(diff.isSensitive),
            "note": diff.note.map(Value.string) ?? .null,
        ]
    }

    /// Secret-looking keys of a request body (its `.secret` leaves are masked anyway).
    static func bodySensitivePaths(_ body: Value) -> [FieldPath] {
        var result: [FieldPath] = []
        func walk(_ value: Value, _ path: FieldPath) {
            if case .object(let fields) = value {
                for (key, item) in fields { walk(item, path.appending(key)) }
            } else if Differ.isSensitive(path: path, value: value), !value.isNull {
                result.append(path)
            }
        }
        walk(body, .root)
        return result
    }
}
