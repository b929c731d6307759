import ConnSyncModel
import Foundation
import Yams

/// A YAML node with its position, copied out of Yams (whose `Node` is not Sendable).
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
    /// YAML 1.1 scalars as Yams resolves them, minus timestamps (a date stays a string).
    /// No rules: Yams' own duplicate-key check hashes nodes through the resolver, so a
    /// rule-less resolver keeps parsing free of regular expressions; scalars are typed by
    /// ``ScalarTyping`` instead.
    static let resolver = Resolver.basic

    /// Every non-empty document of `file`, and the diagnostics of what could not be parsed.
    static func documents(of file: SourceFile) -> ([YDocument], [Diagnostic]) {
        guard let text = String(data: file.contents, encoding: .utf8) else {
            return (
                [],
                [
                    Diagnostic(
                        code: "yaml-encoding", message: "the file is not UTF-8 text",
                        location: SourceLocation(file: file.displayPath, line: 1, column: 1))
                ]
            )
        }
        var documents: [YDocument] = []
        do {
            let parser = try Parser(yaml: text, resolver: resolver)
            var index = 0
            while let root = try parser.nextRoot() {
                index += 1
                if case .scalar(let scalar) = root, scalar.style == .plain, ScalarTyping.kind(of: scalar.string) == .null { continue }
                documents.append(YDocument(file: file, index: index, root: try convert(root, file: file)))
            }
        } catch let error as YamlError {
            return (documents, [diagnostic(error, file: file)])
        } catch let error as ConversionError {
            return (documents, [Diagnostic(code: "yaml-syntax", message: error.message, location: error.location)])
        } catch {
            return (
                documents,
                [Diagnostic(code: "yaml-syntax", message: "\(error)", location: SourceLocation(file: file.displayPath, line: 1, column: 1))]
            )
        }
        return (documents, [])
    }

    struct ConversionError: Error {
        var message: String
        var location: SourceLocation
    }

    static func location(_ mark: Mark?, file: SourceFile) -> SourceLocation {
        SourceLocation(file: file.displayPath, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    static func convert(_ node: Node, file: SourceFile) throws -> YNode {
        switch node {
        case .scalar(let scalar):
            let kind: YNode.ScalarKind
            switch resolver.resolveTag(of: node) {
            case .int: kind = .int
            case .float: kind = .float
            case .bool: kind = .bool
            case .null: kind = .null
            case .str where scalar.style == .plain: kind = ScalarTyping.kind(of: scalar.string)
            default: kind = .string
            }
            return .scalar(scalar.string, kind, location(scalar.mark, file: file))
        case .mapping(let mapping):
            var entries: [YNode.Entry] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw ConversionError(
                        message: "mapping keys must be plain strings", location: location(key.mark ?? mapping.mark, file: file))
                }
                entries.append(
                    YNode.Entry(key: keyScalar.string, keyLocation: location(keyScalar.mark, file: file), value: try convert(value, file: file)))
            }
            return .mapping(entries, location(mapping.mark, file: file))
        case .sequence(let sequence):
            return .sequence(try sequence.map { try convert($0, file: file) }, location(sequence.mark, file: file))
        case .alias(let alias):
            throw ConversionError(message: "YAML aliases are not supported; write the value out", location: location(alias.mark, file: file))
        }
    }

    static func diagnostic(_ error: YamlError, file: SourceFile) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let text = [problem, context.map { "\($0.text)" }].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return Diagnostic(code: "yaml-syntax", message: "invalid YAML: \(text)", location: location(mark, file: file))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(
                code: "duplicate-key",
                message: "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping; keep one",
                location: location(context.mark, file: file))
        case .reader(let problem, _, _, _):
            return Diagnostic(code: "yaml-syntax", message: "invalid YAML: \(problem)", location: location(nil, file: file))
        default:
            return Diagnostic(code: "yaml-syntax", message: "invalid YAML: \(error)", location: location(nil, file: file))
        }
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

/// The YAML 1.1 types of plain scalars (Yams' default rules for null, bool, int and float;
/// timestamps stay strings), decided by hand instead of by regular expressions.
enum ScalarTyping {
    static func kind(of text: String) -> YNode.ScalarKind {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF":
            return .bool
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            return .float
        default:
            break
        }
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || isDigit(first) else {
            return .string
        }
        if isInteger(bytes) { return .int }
        if isFloat(bytes) { return .float }
        return .string
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    static func isInteger(_ all: [UInt8]) -> Bool {
        var bytes = all[...]
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        guard let first = bytes.first else { return false }
        func allMatch(_ rest: ArraySlice<UInt8>, _ test: (UInt8) -> Bool) -> Bool {
            !rest.isEmpty && rest.allSatisfy { $0 == UInt8(ascii: "_") || test($0) }
        }
        if first == UInt8(ascii: "0"), bytes.count > 1 {
            let marker = bytes[bytes.startIndex + 1]
            let rest = bytes.dropFirst(2)
            switch marker {
            case UInt8(ascii: "x"): return allMatch(rest) { isDigit($0) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
            case UInt8(ascii: "b"): return allMatch(rest) { $0 == 48 || $0 == 49 }
            case UInt8(ascii: "o"): return allMatch(rest) { $0 >= 48 && $0 <= 55 }
            default: return allMatch(bytes.dropFirst()) { $0 >= 48 && $0 <= 55 }
            }
        }
        return isDigit(first) && bytes.allSatisfy { isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// `[-+]?([0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)?` or `\.[0-9_]+([eE][-+][0-9]+)?`.
    static func isFloat(_ all: [UInt8]) -> Bool {
        var index = 0
        let bytes = all
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        var integerDigits = 0
        while index < bytes.count, isDigit(bytes[index]) || (integerDigits > 0 && bytes[index] == UInt8(ascii: "_")) {
            integerDigits += 1
            index += 1
        }
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "_") {
                fractionDigits += 1
                index += 1
            }
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            var exponentDigits = 0
            while index < bytes.count, isDigit(bytes[index]) {
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0 else { return false }
        }
        return index == bytes.count
    }
}
