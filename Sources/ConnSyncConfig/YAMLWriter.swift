import ConnSyncModel

/// A small, deterministic YAML emitter for the documents connsync writes
/// (`connsync import`): block style, keys in the order given, strings quoted
/// only when YAML would read them as something else. Equal input, equal bytes:
/// re-running an import gives no git diff.
public struct YAMLWriter: Sendable {
    /// An ordered mapping entry; `comment` is written on the line above the key.
    public struct Entry: Sendable {
        public var key: String
        public var value: Node
        public var comment: String?

        public init(_ key: String, _ value: Node, comment: String? = nil) {
            self.key = key
            self.value = value
            self.comment = comment
        }
    }

    /// A YAML node with ordered mappings.
    public indirect enum Node: Sendable {
        case scalar(Value)
        case mapping([Entry])
        case sequence([Node])
        /// Written in flow style on one line (e.g. `{fromEnv: NAME}`).
        case flowMapping([(String, String)])

        /// A node from a value tree; object keys sorted.
        public static func from(_ value: Value) -> Node {
            switch value {
            case .object(let fields):
                return .mapping(fields.keys.sorted().map { Entry($0, from(fields[$0]!)) })
            case .array(let items):
                return .sequence(items.map(from))
            default:
                return .scalar(value)
            }
        }
    }

    public init() {}

    /// One document (without the `---` separator).
    public func document(_ entries: [Entry], headerComments: [String] = []) -> String {
        var lines: [String] = headerComments.map { "# \($0)" }
        write(entries, indent: 0, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Several documents separated by `---`.
    public func stream(_ documents: [String]) -> String {
        documents.joined(separator: "---\n")
    }

    private func write(_ entries: [Entry], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            if let comment = entry.comment {
                for line in comment.split(separator: "\n", omittingEmptySubsequences: false) { lines.append("\(pad)# \(line)") }
            }
            let key = Self.key(entry.key)
            switch entry.value {
            case .scalar(let value):
                lines.append("\(pad)\(key): \(Self.scalar(value))")
            case .flowMapping(let pairs):
                lines.append("\(pad)\(key): {" + pairs.map { "\(Self.key($0.0)): \(Self.string($0.1))" }.joined(separator: ", ") + "}")
            case .mapping(let children):
                if children.isEmpty {
                    lines.append("\(pad)\(key): {}")
                } else {
                    lines.append("\(pad)\(key):")
                    write(children, indent: indent + 2, into: &lines)
                }
            case .sequence(let items):
                if items.isEmpty {
                    lines.append("\(pad)\(key): []")
                } else {
                    lines.append("\(pad)\(key):")
                    writeSequence(items, indent: indent + 2, into: &lines)
                }
            }
        }
    }

    private func writeSequence(_ items: [Node], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .scalar(let value):
                lines.append("\(pad)- \(Self.scalar(value))")
            case .flowMapping(let pairs):
                lines.append("\(pad)- {" + pairs.map { "\(Self.key($0.0)): \(Self.string($0.1))" }.joined(separator: ", ") + "}")
            case .mapping(let children):
                if children.isEmpty {
                    lines.append("\(pad)- {}")
                } else {
                    var nested: [String] = []
                    write(children, indent: indent + 2, into: &nested)
                    if var first = nested.first {
                        first = pad + "- " + first.dropFirst(indent + 2)
                        nested[0] = first
                    }
                    lines.append(contentsOf: nested)
                }
            case .sequence(let inner):
                if inner.isEmpty {
                    lines.append("\(pad)- []")
                } else {
                    lines.append("\(pad)-")
                    writeSequence(inner, indent: indent + 2, into: &lines)
                }
            }
        }
    }

    static func key(_ text: String) -> String {
        isPlain(text) ? text : string(text)
    }

    static func scalar(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return Value.double(number).jsonString()
        case .string(let text): return string(text)
        case .secret: return string(Sensitive<String>.mask)
        case .array, .object: return value.jsonString()
        }
    }

    /// Plain when safe, else a JSON-style double-quoted string (valid YAML).
    static func string(_ text: String) -> String {
        isPlain(text) ? text : Value.string(text).jsonString()
    }

    static let reserved: Set<String> = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "", "True", "False", "TRUE", "FALSE", "Yes", "No",
        "YES", "NO", "On", "Off", "ON", "OFF", "Null", "NULL", "Y", "N",
    ]

    /// Whether `text` reads back as the same string when written unquoted.
    static func isPlain(_ text: String) -> Bool {
        guard !reserved.contains(text), let first = text.unicodeScalars.first else { return false }
        guard first.properties.isAlphabetic || first == "_" || first == "/" || (first.value >= 0x30 && first.value <= 0x39) else {
            return false
        }
        // Numbers, dates and the like would change type.
        if Double(text) != nil || Int(text) != nil { return false }
        if text.first!.isNumber, text.contains(where: { $0 == "-" || $0 == ":" || $0 == "." || $0 == "_" }) { return false }
        for scalar in text.unicodeScalars {
            let allowed =
                scalar.properties.isAlphabetic || (scalar.value >= 0x30 && scalar.value <= 0x39)
                || "-_./@+".unicodeScalars.contains(scalar)
            if !allowed { return false }
        }
        return !text.hasPrefix("0x") && !text.hasPrefix("0o")
    }
}
