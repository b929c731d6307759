import ConnSyncModel

/// Which values of a connection's views are masked (cli.md v1.1, "Trust"): `.secret`
/// leaves, values under a key that looks secret (``SecretKeys``, plus the key names the
/// vendor declares secret), lists that hold such keys, and strings holding URL user info.
/// The planner decides with it once per change; views only render what it decided.
public struct Sensitivity: Sendable, Hashable {
    /// Key names the vendor declares secret beyond the word rules.
    public var secretKeyNames: Set<String>
    /// The run's secret values: a remote string holding one is masked wherever it is (a
    /// vendor may echo a token or a password into any field).
    public var secretValues: Redactor

    public init(secretKeyNames: Set<String> = [], secretValues: Redactor = .none) {
        self.secretKeyNames = secretKeyNames
        self.secretValues = secretValues
    }

    /// The rule is its key names; the secret values are the run's, the same for every change.
    public static func == (lhs: Sensitivity, rhs: Sensitivity) -> Bool { lhs.secretKeyNames == rhs.secretKeyNames }
    public func hash(into hasher: inout Hasher) { hasher.combine(secretKeyNames) }

    public func isSecretKey(_ key: String) -> Bool {
        secretKeyNames.contains(key) || SecretKeys.looksSecret(key)
    }

    /// Whether the value at `path` must be masked.
    public func isSensitive(path: FieldPath, value: Value) -> Bool {
        for component in path.components {
            if case .key(let key) = component, isSecretKey(key) { return true }
        }
        return needsMask(value)
    }

    /// Whether a value, wherever it is, must be masked: it is or holds a secret, a key that
    /// looks secret, or URL user info.
    public func needsMask(_ value: Value) -> Bool {
        switch value {
        case .secret: return true
        case .string(let text): return SecretKeys.hasURLUserinfo(text) || secretValues.containsSecret(text)
        case .object(let fields): return fields.contains { isSecretKey($0.key) || needsMask($0.value) }
        case .array(let items): return items.contains(where: needsMask)
        default: return false
        }
    }

    /// Paths in `view` whose values must be masked, sorted: a value below a secret key, or a
    /// leaf (or list) that needs a mask.
    public func sensitivePaths(in view: Value) -> [FieldPath] {
        var result: [FieldPath] = []
        var stack: [FieldPath.Component] = []
        collect(view, stack: &stack, underSecretKey: false, into: &result)
        return result.count > 1 ? result.sorted() : result
    }

    private func collect(_ value: Value, stack: inout [FieldPath.Component], underSecretKey: Bool, into result: inout [FieldPath]) {
        if case .object(let fields) = value {
            for (key, item) in fields {
                stack.append(.key(key))
                collect(item, stack: &stack, underSecretKey: underSecretKey || isSecretKey(key), into: &result)
                stack.removeLast()
            }
        } else if underSecretKey ? !value.isNull : needsMask(value) {
            result.append(FieldPath(stack))
        }
    }
}
