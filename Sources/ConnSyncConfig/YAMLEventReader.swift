import CLibYAML
import ConnSyncModel
import Foundation

/// Builds ``YNode`` trees from libyaml's events, one document at a time.
struct YAMLEventReader {
    let file: SourceFile
    /// The file's display path, for the positions of this reader's errors.
    private let path: String

    /// A collection being read, changed in place at the top of the stack.
    struct Frame {
        var isMapping: Bool
        var position: YPosition
        var entries: [YNode.Entry] = []
        var items: [YNode] = []
        var pendingKey: (String, YPosition)?
        /// The keys of a large mapping (a small one is searched through `entries`).
        var keys: Set<String> = []

        /// Mappings with more keys than this are checked for duplicates through `keys`.
        static let linearKeyLimit = 12

        /// Records `key`; false when the mapping already holds it.
        mutating func insertKey(_ key: String) -> Bool {
            if entries.count < Self.linearKeyLimit {
                return !entries.contains { $0.key == key }
            }
            if keys.isEmpty { keys = Set(entries.map(\.key)) }
            return keys.insert(key).inserted
        }
    }

    struct Failure: Error {
        var diagnostic: Diagnostic
    }

    /// The bytes of `file` read (all of it, or one chunk of whole documents).
    let range: Range<Int>
    /// Lines of the file before `range`, added to every position.
    let lineOffset: Int

    private var stack: [Frame] = []
    /// The documents read so far (the fast reader's result, too).
    private(set) var documents: [YDocument] = []
    /// Documents started so far (libyaml's document-start events), for 1-based indices.
    private(set) var documentIndex = 0

    /// - Parameter documentsBefore: documents of the file before `range`, so that indices
    ///   count through the file.
    /// - Parameter path: the file's display path as this reader's errors show it (default: a
    ///   copy of its own, ``SourceFile/ownDisplayPath``).
    init(file: SourceFile, path: String? = nil, range: Range<Int>? = nil, lineOffset: Int = 0, documentsBefore: Int = 0) {
        self.file = file
        self.path = path ?? file.ownDisplayPath
        self.range = range ?? 0..<file.contents.count
        self.lineOffset = lineOffset
        documentIndex = documentsBefore
    }

    mutating func read() -> ([YDocument], [Diagnostic]) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return ([], [Diagnostic(code: "yaml-syntax", message: "cannot start the YAML parser (out of memory)", location: nil)])
        }
        defer { yaml_parser_delete(&parser) }
        let contents = file.contents
        let range = self.range
        let failure: Failure? = contents.withUnsafeBytes { (whole: UnsafeRawBufferPointer) -> Failure? in
            let raw = UnsafeRawBufferPointer(rebasing: whole[range])
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

    /// The documents as ``YAMLFastReader`` reads them, or nil when it declines the text.
    func fastDocuments() -> [YDocument]? {
        let range = self.range
        return file.contents.withUnsafeBytes { (whole: UnsafeRawBufferPointer) -> [YDocument]? in
            YAMLFastReader.documents(UnsafeRawBufferPointer(rebasing: whole[range]).bindMemory(to: UInt8.self), reader: self)
        }
    }

    private func position(_ mark: yaml_mark_t) -> YPosition {
        position(line: Int(mark.line), column: Int(mark.column))
    }

    /// A position given as libyaml gives it: line and column from 0, within the unit.
    func position(line: Int, column: Int) -> YPosition {
        YPosition(line: line + 1 + lineOffset, column: column + 1)
    }

    /// Where an error of this reader is, with the file.
    private func location(_ position: YPosition) -> SourceLocation {
        position.location(in: path)
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        location(position(mark))
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
            startDocument()
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
            let bytes = UnsafeBufferPointer(start: scalar.value, count: scalar.value == nil ? 0 : scalar.length)
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            if let tag = Self.text(scalar.tag) {
                try add(.scalar(String(decoding: bytes, as: UTF8.self), Self.kind(tag: tag), position(event.start_mark)), isPlainScalar: isPlain)
            } else {
                try self.scalar(bytes, isPlain: isPlain, at: position(event.start_mark))
            }
        case YAML_MAPPING_START_EVENT:
            try refuseAnchor(event.data.mapping_start.anchor, at: event.start_mark)
            try startCollection(isMapping: true, at: position(event.start_mark))
        case YAML_SEQUENCE_START_EVENT:
            try refuseAnchor(event.data.sequence_start.anchor, at: event.start_mark)
            try startCollection(isMapping: false, at: position(event.start_mark))
        case YAML_MAPPING_END_EVENT:
            try endCollection(isMapping: true)
        case YAML_SEQUENCE_END_EVENT:
            try endCollection(isMapping: false)
        default:
            break
        }
        return false
    }

    // MARK: - the tree, from either reader's events

    mutating func startDocument() {
        documentIndex += 1
    }

    mutating func startCollection(isMapping: Bool, at position: YPosition) throws(Failure) {
        guard stack.count < YAMLReader.maximumDepth else {
            throw Failure(
                diagnostic: Diagnostic(
                    code: "yaml-depth", message: "nesting deeper than \(YAMLReader.maximumDepth) levels is not supported",
                    location: location(position)))
        }
        var frame = Frame(isMapping: isMapping, position: position)
        if isMapping { frame.entries.reserveCapacity(8) }
        stack.append(frame)
    }

    mutating func endCollection(isMapping: Bool) throws(Failure) {
        guard let frame = stack.popLast(), frame.isMapping == isMapping else { return }
        try add(isMapping ? .mapping(frame.entries, frame.position) : .sequence(frame.items, frame.position), isPlainScalar: false)
    }

    /// A plain scalar is typed from its bytes (``ScalarTyping``); a quoted one is a string.
    mutating func scalar(_ bytes: UnsafeBufferPointer<UInt8>, isPlain: Bool, at position: YPosition) throws(Failure) {
        let text = String(decoding: bytes, as: UTF8.self)
        try add(.scalar(text, isPlain ? ScalarTyping.kind(of: bytes) : .string, position), isPlainScalar: isPlain)
    }

    /// Puts a finished node into the collection being read, or makes it the document's root.
    private mutating func add(_ node: YNode, isPlainScalar: Bool) throws(Failure) {
        let top = stack.count - 1
        guard top >= 0 else {
            // A document holding only a plain null (an empty document) is skipped.
            if isPlainScalar, case .scalar(_, .null, _) = node { return }
            documents.append(YDocument(file: file, index: documentIndex, root: node))
            return
        }
        guard stack[top].isMapping else {
            stack[top].items.append(node)
            return
        }
        if let (key, keyPosition) = stack[top].pendingKey {
            stack[top].pendingKey = nil
            stack[top].entries.append(YNode.Entry(key: key, keyPosition: keyPosition, value: node))
            return
        }
        guard case .scalar(let key, _, let keyPosition) = node else {
            throw Failure(diagnostic: Diagnostic(code: "yaml-syntax", message: "mapping keys must be plain strings", location: location(node.position)))
        }
        guard stack[top].insertKey(key) else {
            throw Failure(
                diagnostic: Diagnostic(code: "duplicate-key", message: "duplicate key '\(key)' in one mapping; keep one", location: location(keyPosition)))
        }
        stack[top].pendingKey = (key, keyPosition)
    }

    /// YAML 1.1 scalar types (null, bool, int, float; timestamps stay strings): an explicit
    /// core tag decides, else a plain scalar is typed by ``ScalarTyping``, else it is a string.
    /// The kind an explicit tag gives a scalar.
    static func kind(tag: String) -> YNode.ScalarKind {
        switch tag {
        case "tag:yaml.org,2002:int": return .int
        case "tag:yaml.org,2002:float": return .float
        case "tag:yaml.org,2002:bool": return .bool
        case "tag:yaml.org,2002:null": return .null
        default: return .string
        }
    }

    /// libyaml's problem, its position, and a hint for the common ones.
    private func syntaxError(_ parser: yaml_parser_t) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
        let context = parser.context.map { String(cString: $0) }
        let mark = parser.problem_mark
        var message = "invalid YAML: \(problem)" + (context.map { " \($0)" } ?? "")
        if let hint = YAMLHints.hint(problem: problem, file: file, index: range.lowerBound + Int(mark.index)) { message += "; \(hint)" }
        let code = parser.error == YAML_READER_ERROR ? "yaml-encoding" : "yaml-syntax"
        return Diagnostic(code: code, message: message, location: location(mark))
    }
}

/// Short advice for libyaml's most common messages.
enum YAMLHints {
    static func hint(problem: String, file: SourceFile, index: Int) -> String? {
        if problem.contains("cannot start any token") {
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
