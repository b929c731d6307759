import ConnSyncModel
import Foundation
import CLibYAML

/// A YAML node with its position, built from libyaml's events.
indirect enum YNode: Sendable {
    enum ScalarKind: Sendable {
        case string
        case int
        case float
        case bool
        case null
    }

    struct Entry: Sendable {
        var key: String
        var keyLocation: SourceLocation
        var value: YNode
    }

    case scalar(String, ScalarKind, SourceLocation)
    case mapping([Entry], SourceLocation)
    case sequence([YNode], SourceLocation)

    var location: SourceLocation {
        switch self {
        case .scalar(_, _, let location), .mapping(_, let location), .sequence(_, let location): return location
        }
    }

    /// What the node is, for "must be a string (got a mapping)" messages.
    var kindDescription: String {
        switch self {
        case .scalar(_, .string, _): return "a string"
        case .scalar(_, .int, _): return "an integer"
        case .scalar(_, .float, _): return "a number"
        case .scalar(_, .bool, _): return "a boolean"
        case .scalar(_, .null, _): return "null"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    var entries: [Entry]? {
        if case .mapping(let entries, _) = self { return entries }
        return nil
    }

    /// As a ``Value`` (JSON-like), ints and floats and bools typed as YAML resolved them.
    var value: Value {
        switch self {
        case .scalar(let text, let kind, _):
            switch kind {
            case .string: return .string(text)
            case .int: return YNode.integer(text).map(Value.int) ?? .string(text)
            case .float: return YNode.double(text).map(Value.double) ?? .string(text)
            case .bool: return .bool(YNode.boolean(text) ?? false)
            case .null: return .null
            }
        case .mapping(let entries, _):
            var fields: [String: Value] = [:]
            for entry in entries { fields[entry.key] = entry.value.value }
            return .object(fields)
        case .sequence(let items, _):
            return .array(items.map(\.value))
        }
    }

    static func integer(_ text: String) -> Int? {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        if cleaned.hasPrefix("0x") || cleaned.hasPrefix("-0x") || cleaned.hasPrefix("+0x") {
            let negative = cleaned.hasPrefix("-")
            let digits = cleaned.drop { $0 == "-" || $0 == "+" }.dropFirst(2)
            return Int(digits, radix: 16).map { negative ? -$0 : $0 }
        }
        if cleaned.hasPrefix("0o") { return Int(cleaned.dropFirst(2), radix: 8) }
        if cleaned.hasPrefix("0b") { return Int(cleaned.dropFirst(2), radix: 2) }
        return Int(cleaned)
    }

    static func double(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: return Double(text.replacingOccurrences(of: "_", with: ""))
        }
    }

    static func boolean(_ text: String) -> Bool? {
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return true
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return false
        default: return nil
        }
    }
}

/// One parsed YAML document of a file.
struct YDocument: Sendable {
    var file: SourceFile
    /// 1-based index of the document within its file.
    var index: Int
    var root: YNode
}

enum YAMLReader {
    /// A file larger than this is refused (every read is bounded).
    static let maximumFileSize = 64 << 20
    /// Deeper nesting is refused: nothing in the format needs it, and it bounds recursion.
    static let maximumDepth = 64

    /// Every non-empty document of `file`, and the diagnostics of what could not be parsed.
    /// Read with libyaml's event API: anchors and aliases are refused at the event that
    /// names them, so nothing is ever expanded.
    static func documents(of file: SourceFile) -> ([YDocument], [Diagnostic]) {
        let start = SourceLocation(file: file.displayPath, line: 1, column: 1)
        guard file.contents.count <= maximumFileSize else {
            return ([], [Diagnostic(code: "yaml-size", message: "the file is larger than \(maximumFileSize >> 20) MiB; split it", location: start)])
        }
        guard String(data: file.contents, encoding: .utf8) != nil else {
            return ([], [Diagnostic(code: "yaml-encoding", message: "the file is not UTF-8 text", location: start)])
        }
        var reader = YAMLEventReader(file: file)
        return reader.read()
    }

    static func location(_ mark: yaml_mark_t, file: SourceFile) -> SourceLocation {
        SourceLocation(file: file.displayPath, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

/// YAML documents as JSON-like values (scalars typed as connsync reads them), e.g. to
/// check them against the JSON Schema.
public enum YAMLDocuments {
    /// Every non-empty document of `text`; throws the first syntax error as a diagnostic.
    public static func values(of text: String, file: String = "<input>") throws -> [Value] {
        let source = SourceFile(path: file, displayPath: file, contents: Data(text.utf8))
        let (documents, problems) = YAMLReader.documents(of: source)
        if let problem = problems.first { throw DiagnosticsError([problem]) }
        return documents.map(\.root.value)
    }
}

