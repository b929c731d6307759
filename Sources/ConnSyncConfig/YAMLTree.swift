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

/// Builds ``YNode`` trees from libyaml's events, one document at a time.
struct YAMLEventReader {
    let file: SourceFile

    /// A collection being read.
    enum Frame {
        case mapping(entries: [YNode.Entry], keys: Set<String>, pendingKey: (String, SourceLocation)?, location: SourceLocation)
        case sequence(items: [YNode], location: SourceLocation)
    }

    struct Failure: Error {
        var diagnostic: Diagnostic
    }

    private var stack: [Frame] = []
    private var documents: [YDocument] = []
    private var documentIndex = 0

    init(file: SourceFile) {
        self.file = file
    }

    mutating func read() -> ([YDocument], [Diagnostic]) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return ([], [Diagnostic(code: "yaml-syntax", message: "cannot start the YAML parser (out of memory)", location: nil)])
        }
        defer { yaml_parser_delete(&parser) }
        let contents = file.contents
        let failure: Failure? = contents.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Failure? in
            yaml_parser_set_input_string(&parser, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count)
            do throws(Failure) {
                var done = false
                while !done {
                    var event = yaml_event_t()
                    guard yaml_parser_parse(&parser, &event) == 1 else { throw Failure(diagnostic: syntaxError(parser)) }
                    defer { yaml_event_delete(&event) }
                    done = try handle(&event)
                }
                return nil
            } catch {
                return error
            }
        }
        return (documents, failure.map { [$0.diagnostic] } ?? [])
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        YAMLReader.location(mark, file: file)
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// Refuses an anchor: the format has none, and refusing it here means no alias is expanded.
    private func refuseAnchor(_ anchor: UnsafeMutablePointer<yaml_char_t>?, at mark: yaml_mark_t) throws(Failure) {
        guard let name = Self.text(anchor) else { return }
        throw Failure(
            diagnostic: Diagnostic(
                code: "yaml-anchor",
                message: "YAML anchors (&\(name)) and aliases are not part of the connsync format; write the value out where it is used",
                location: location(mark)))
    }

    /// Returns true at the end of the stream.
    private mutating func handle(_ event: inout yaml_event_t) throws(Failure) -> Bool {
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documentIndex += 1
        case YAML_ALIAS_EVENT:
            let name = Self.text(event.data.alias.anchor) ?? ""
            throw Failure(
                diagnostic: Diagnostic(
                    code: "yaml-anchor",
                    message: "YAML aliases (*\(name)) and anchors are not part of the connsync format; write the value out where it is used",
                    location: location(event.start_mark)))
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            try refuseAnchor(scalar.anchor, at: event.start_mark)
            let text = scalar.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self) } ?? ""
            let kind = Self.kind(text: text, tag: Self.text(scalar.tag), isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE)
            try add(.scalar(text, kind, location(event.start_mark)), isPlainScalar: scalar.style == YAML_PLAIN_SCALAR_STYLE)
        case YAML_MAPPING_START_EVENT:
            try refuseAnchor(event.data.mapping_start.anchor, at: event.start_mark)
            try push(.mapping(entries: [], keys: [], pendingKey: nil, location: location(event.start_mark)), at: event.start_mark)
        case YAML_SEQUENCE_START_EVENT:
            try refuseAnchor(event.data.sequence_start.anchor, at: event.start_mark)
            try push(.sequence(items: [], location: location(event.start_mark)), at: event.start_mark)
        case YAML_MAPPING_END_EVENT:
            guard case .mapping(let entries, _, _, let start)? = stack.popLast() else { break }
            try add(.mapping(entries, start), isPlainScalar: false)
        case YAML_SEQUENCE_END_EVENT:
            guard case .sequence(let items, let start)? = stack.popLast() else { break }
            try add(.sequence(items, start), isPlainScalar: false)
        default:
            break
        }
        return false
    }

    private mutating func push(_ frame: Frame, at mark: yaml_mark_t) throws(Failure) {
        guard stack.count < YAMLReader.maximumDepth else {
            throw Failure(
                diagnostic: Diagnostic(
                    code: "yaml-depth", message: "nesting deeper than \(YAMLReader.maximumDepth) levels is not supported",
                    location: location(mark)))
        }
        stack.append(frame)
    }

    /// Puts a finished node into the collection being read, or makes it the document's root.
    private mutating func add(_ node: YNode, isPlainScalar: Bool) throws(Failure) {
        guard let top = stack.popLast() else {
            // A document holding only a plain null (an empty document) is skipped.
            if isPlainScalar, case .scalar(_, .null, _) = node { return }
            documents.append(YDocument(file: file, index: documentIndex, root: node))
            return
        }
        switch top {
        case .sequence(var items, let start):
            items.append(node)
            stack.append(.sequence(items: items, location: start))
        case .mapping(var entries, var keys, let pendingKey, let start):
            if let (key, keyLocation) = pendingKey {
                entries.append(YNode.Entry(key: key, keyLocation: keyLocation, value: node))
                stack.append(.mapping(entries: entries, keys: keys, pendingKey: nil, location: start))
                return
            }
            guard case .scalar(let key, _, let keyLocation) = node else {
                throw Failure(diagnostic: Diagnostic(code: "yaml-syntax", message: "mapping keys must be plain strings", location: node.location))
            }
            guard keys.insert(key).inserted else {
                throw Failure(
                    diagnostic: Diagnostic(
                        code: "duplicate-key", message: "duplicate key '\(key)' in one mapping; keep one", location: keyLocation))
            }
            stack.append(.mapping(entries: entries, keys: keys, pendingKey: (key, keyLocation), location: start))
        }
    }

    /// YAML 1.1 scalar types (null, bool, int, float; timestamps stay strings): an explicit
    /// core tag decides, else a plain scalar is typed by ``ScalarTyping``, else it is a string.
    static func kind(text: String, tag: String?, isPlain: Bool) -> YNode.ScalarKind {
        switch tag {
        case "tag:yaml.org,2002:int": return .int
        case "tag:yaml.org,2002:float": return .float
        case "tag:yaml.org,2002:bool": return .bool
        case "tag:yaml.org,2002:null": return .null
        case nil: return isPlain ? ScalarTyping.kind(of: text) : .string
        default: return .string
        }
    }

    /// libyaml's problem, its position, and a hint for the common ones.
    private func syntaxError(_ parser: yaml_parser_t) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
        let context = parser.context.map { String(cString: $0) }
        let mark = parser.problem_mark
        var message = "invalid YAML: \(problem)" + (context.map { " \($0)" } ?? "")
        if let hint = YAMLHints.hint(problem: problem, file: file, mark: mark) { message += "; \(hint)" }
        let code = parser.error == YAML_READER_ERROR ? "yaml-encoding" : "yaml-syntax"
        return Diagnostic(code: code, message: message, location: location(mark))
    }
}

/// Short advice for libyaml's most common messages.
enum YAMLHints {
    static func hint(problem: String, file: SourceFile, mark: yaml_mark_t) -> String? {
        if problem.contains("cannot start any token") {
            let index = Int(mark.index)
            if index < file.contents.count, file.contents[file.contents.startIndex + index] == 0x09 {
                return "YAML does not allow tabs for indentation: indent with spaces"
            }
            return "a value starting with this character must be quoted"
        }
        if problem.contains("mapping values are not allowed") {
            return "a value holding ': ' must be quoted, or this line is indented too deep"
        }
        if problem.contains("did not find expected key") || problem.contains("did not find expected '-' indicator") {
            return "check the indentation: the keys of one mapping (and the items of one list) must line up"
        }
        if problem.contains("could not find expected ':'") {
            return "a key is missing its ':', or a quote is not closed"
        }
        if problem.contains("found unexpected end of stream") {
            return "a quote or bracket is not closed"
        }
        return nil
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
