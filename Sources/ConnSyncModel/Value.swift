/// connsync's JSON-like value tree: vendor objects, request bodies, plan
/// before/after views. Secrets of the desired state live in it as `.secret`,
/// which every rendering masks; only ``jsonData(secrets:)`` with `.reveal`
/// (used for request bodies) writes their values.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case object([String: Value])
    /// Boxed: a `Secret` is larger than any other payload, and unboxed it would make every
    /// value (every element and field of every remote object) as large as itself.
    indirect case secret(Secret)

    public static let emptyObject = Value.object([:])

    // MARK: accessors

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number this value holds, when it is one.
    public var numberValue: Double? {
        switch self {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .int(let number): return number
        case .double(let number) where number.rounded() == number && abs(number) < 9.0e15: return Int(number)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    public var arrayValue: [Value]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var objectValue: [String: Value]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var isSecret: Bool {
        if case .secret = self { return true }
        return false
    }

    /// The value under `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> Value? {
        get { objectValue?[key] }
        set {
            guard case .object(var fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The value at `path`; nil when any step is missing.
    public subscript(path path: FieldPath) -> Value? {
        var current: Value = self
        for component in path.components {
            switch component {
            case .key(let key):
                guard let next = current.objectValue?[key] else { return nil }
                current = next
            case .index(let index):
                guard let items = current.arrayValue, items.indices.contains(index) else { return nil }
                current = items[index]
            }
        }
        return current
    }

    /// Sets (or, with nil, removes) the value at `path`, creating objects on the way.
    public mutating func set(_ newValue: Value?, at path: FieldPath) {
        guard let first = path.components.first else {
            self = newValue ?? .null
            return
        }
        let rest = FieldPath(Array(path.components.dropFirst()))
        switch first {
        case .key(let key):
            var fields = objectValue ?? [:]
            if rest.isRoot {
                fields[key] = newValue
            } else {
                var child = fields[key] ?? .object([:])
                child.set(newValue, at: rest)
                fields[key] = child
            }
            self = .object(fields)
        case .index(let index):
            guard var items = arrayValue, items.indices.contains(index) else { return }
            if rest.isRoot {
                if let newValue { items[index] = newValue } else { items.remove(at: index) }
            } else {
                items[index].set(newValue, at: rest)
            }
            self = .array(items)
        }
    }

    /// Deep merge: objects merge key by key, anything else in `other` wins.
    public func merging(_ other: Value) -> Value {
        guard case .object(var mine) = self, case .object(let theirs) = other else { return other }
        for (key, value) in theirs {
            if let existing = mine[key] {
                mine[key] = existing.merging(value)
            } else {
                mine[key] = value
            }
        }
        return .object(mine)
    }

    /// Whether any `.secret` lies in this tree.
    public var containsSecret: Bool {
        switch self {
        case .secret: return true
        case .array(let items): return items.contains { $0.containsSecret }
        case .object(let fields): return fields.values.contains { $0.containsSecret }
        default: return false
        }
    }

    /// Paths of every `.secret` leaf, sorted.
    public var secretPaths: [FieldPath] {
        var result: [FieldPath] = []
        var stack: [FieldPath.Component] = []
        collectSecretPaths(&stack, into: &result)
        return result.count > 1 ? result.sorted() : result
    }

    /// Walks containers only, with one path stack: a path is made for each secret found.
    private func collectSecretPaths(_ stack: inout [FieldPath.Component], into result: inout [FieldPath]) {
        switch self {
        case .secret: result.append(FieldPath(stack))
        case .array(let items):
            for (index, item) in items.enumerated() where item.isSecretOrContainer {
                stack.append(.index(index))
                item.collectSecretPaths(&stack, into: &result)
                stack.removeLast()
            }
        case .object(let fields):
            for (key, item) in fields where item.isSecretOrContainer {
                stack.append(.key(key))
                item.collectSecretPaths(&stack, into: &result)
                stack.removeLast()
            }
        default: break
        }
    }

    private var isSecretOrContainer: Bool {
        switch self {
        case .secret, .array, .object: return true
        default: return false
        }
    }

    /// Every secret replaced by the string `(sensitive)`: safe to show or encode.
    public var masked: Value {
        switch self {
        case .secret: return .string(Sensitive<String>.mask)
        case .array(let items): return .array(items.map(\.masked))
        case .object(let fields): return .object(fields.mapValues(\.masked))
        default: return self
        }
    }

    /// The value with every path in `paths` replaced by the string `(sensitive)` (when present).
    public func masking(paths: some Sequence<FieldPath>) -> Value {
        var copy = self
        for path in paths where copy[path: path] != nil {
            copy.set(.string(Sensitive<String>.mask), at: path)
        }
        return copy.masked
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension Value: CustomStringConvertible {
    /// Compact JSON with sorted keys and secrets masked.
    public var description: String { jsonString() }
}
