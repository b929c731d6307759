import ConnSyncModel

/// Field-level diff of two normalized views. Pure.
///
/// Only what the desired view declares is compared, except below *exact* paths,
/// where a remote key the desired view lacks is a removal (the vendor's update
/// replaces that part whole). Scalars compare loosely (`5432` equals `"5432"`,
/// `true` equals `"true"`) so that vendors that stringify values cause no
/// perpetual diffs.
public struct Differ: Sendable {
    public var exactPaths: Set<FieldPath>
    /// Paths not diffed here (write-only secrets, compared through state hashes).
    public var skip: @Sendable (FieldPath) -> Bool
    /// The note on removals below exact paths.
    public var removalNote: String
    /// Which values are masked.
    public var sensitivity: Sensitivity

    public init(
        exactPaths: some Sequence<FieldPath>, removalNote: String, sensitivity: Sensitivity = Sensitivity(),
        skip: @escaping @Sendable (FieldPath) -> Bool = { _ in false }
    ) {
        self.exactPaths = Set(exactPaths)
        self.removalNote = removalNote
        self.sensitivity = sensitivity
        self.skip = skip
    }

    public func diff(desired: Value, remote: Value) -> [FieldDiff] {
        var result: [FieldDiff] = []
        walk(desired: desired, remote: remote, path: .root, isExact: exactPaths.contains(.root), into: &result)
        // Walked in dictionary order (no per-object key sort); sorted once, here.
        if result.count > 1 { result.sort(by: FieldDiff.displayOrder) }
        return result
    }

    /// Every leaf of `value` as an addition (a create's lines).
    public func additions(of value: Value) -> [FieldDiff] {
        var result: [FieldDiff] = []
        addLeaves(value, path: .root, into: &result)
        return result
    }

    private func walk(desired: Value, remote: Value, path: FieldPath, isExact: Bool, into result: inout [FieldDiff]) {
        if skip(path) { return }
        if case .object(let wanted) = desired, case .object(let held) = remote {
            for (key, wantedValue) in wanted {
                let child = path.appending(key)
                let childExact = isExact || (!exactPaths.isEmpty && exactPaths.contains(child))
                if let remoteValue = held[key] {
                    walk(desired: wantedValue, remote: remoteValue, path: child, isExact: childExact, into: &result)
                } else if !wantedValue.isNull {
                    addLeaves(wantedValue, path: child, into: &result)
                }
            }
            // Removals exist only below exact paths.
            guard isExact || !exactPaths.isEmpty else { return }
            for (key, heldValue) in held where wanted[key] == nil {
                let child = path.appending(key)
                guard isExact || exactPaths.contains(child), !heldValue.isNull else { continue }
                removeLeaves(heldValue, path: child, into: &result)
            }
            return
        }
        if Self.looselyEqual(desired, remote) { return }
        let sensitive = desired.containsSecret || sensitivity.isSensitive(path: path, value: remote) || sensitivity.needsMask(desired)
        result.append(
            FieldDiff(
                path: path, before: remote, after: desired, isSensitive: sensitive,
                sensitiveSummary: sensitive ? "sensitive value changed" : nil))
    }

    private func removeLeaves(_ value: Value, path: FieldPath, into result: inout [FieldDiff]) {
        if skip(path) { return }
        if case .object(let fields) = value, !fields.isEmpty {
            for key in fields.keys.sorted() {
                removeLeaves(fields[key]!, path: path.appending(key), into: &result)
            }
            return
        }
        let sensitive = sensitivity.isSensitive(path: path, value: value)
        result.append(
            FieldDiff(
                path: path, before: value, after: nil, isSensitive: sensitive, note: removalNote,
                sensitiveSummary: sensitive ? "sensitive value" : nil))
    }

    private func addLeaves(_ value: Value, path: FieldPath, into result: inout [FieldDiff]) {
        if skip(path) { return }
        if case .object(let fields) = value, !fields.isEmpty {
            for key in fields.keys.sorted() {
                addLeaves(fields[key]!, path: path.appending(key), into: &result)
            }
            return
        }
        let sensitive = sensitivity.isSensitive(path: path, value: value)
        result.append(
            FieldDiff(path: path, before: nil, after: value, isSensitive: sensitive, sensitiveSummary: sensitive ? "sensitive value" : nil))
    }

    // MARK: - comparison

    /// Equality that tolerates the ways vendors echo values back (numbers as strings, ...).
    public static func looselyEqual(_ lhs: Value, _ rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.secret(let secret), _):
            guard let revealed = secret.value?.revealed() else { return false }
            return looselyEqual(.string(revealed), rhs)
        case (_, .secret):
            return looselyEqual(rhs, lhs)
        case (.int(let a), .int(let b)): return a == b
        case (.int, .double), (.double, .int), (.double, .double):
            return lhs.numberValue == rhs.numberValue
        case (.string(let text), .int), (.string(let text), .double):
            return Double(text) == rhs.numberValue
        case (.int, .string), (.double, .string):
            return looselyEqual(rhs, lhs)
        case (.string(let text), .bool(let flag)), (.bool(let flag), .string(let text)):
            return text == (flag ? "true" : "false")
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { looselyEqual($0, $1) }
        case (.object(let a), .object(let b)):
            let liveA = a.filter { !$0.value.isNull }
            let liveB = b.filter { !$0.value.isNull }
            guard Set(liveA.keys) == Set(liveB.keys) else { return false }
            return liveA.allSatisfy { key, value in looselyEqual(value, liveB[key]!) }
        default:
            return lhs == rhs
        }
    }
}
