/// A path to a field inside a ``Value`` tree: `configuration.collections[0]`.
public struct FieldPath: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public enum Component: Sendable, Hashable, Comparable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// Parses the dotted form: `a.b[2].c`. Keys holding `.` or `[` cannot be written this way;
    /// build such paths from components.
    public init(parsing text: String) {
        var result: [Component] = []
        for segment in text.split(separator: ".", omittingEmptySubsequences: true) {
            var rest = Substring(segment)
            if let bracket = rest.firstIndex(of: "[") {
                let key = rest[..<bracket]
                if !key.isEmpty { result.append(.key(String(key))) }
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    let number = rest[rest.index(after: rest.startIndex)..<close]
                    if let index = Int(number) { result.append(.index(index)) } else { result.append(.key(String(number))) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                result.append(.key(String(rest)))
            }
        }
        components = result
    }

    public init(stringLiteral value: String) {
        self.init(parsing: value)
    }

    public static let root = FieldPath()

    public var isRoot: Bool { components.isEmpty }

    public func appending(_ key: String) -> FieldPath {
        appending(components: CollectionOfOne(.key(key)))
    }

    public func appending(index: Int) -> FieldPath {
        appending(components: CollectionOfOne(.index(index)))
    }

    public func appending(_ other: FieldPath) -> FieldPath {
        appending(components: other.components)
    }

    /// One allocation per path (the differ makes one for every field it visits).
    private func appending(components more: some Collection<Component>) -> FieldPath {
        var result: [Component] = []
        result.reserveCapacity(components.count + more.count)
        result.append(contentsOf: components)
        result.append(contentsOf: more)
        return FieldPath(result)
    }

    /// The last key of the path, if it ends with a key.
    public var lastKey: String? {
        if case .key(let key)? = components.last { return key }
        return nil
    }

    public var parent: FieldPath? {
        components.isEmpty ? nil : FieldPath(Array(components.dropLast()))
    }

    /// Whether `self` is `other` or lies below it.
    public func hasPrefix(_ other: FieldPath) -> Bool {
        components.count >= other.components.count && Array(components.prefix(other.components.count)) == other.components
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    public static func < (lhs: FieldPath, rhs: FieldPath) -> Bool {
        lhs.components.lexicographicallyPrecedes(rhs.components)
    }

    public init(from decoder: any Decoder) throws {
        self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
