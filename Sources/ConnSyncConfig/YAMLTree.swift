import ConnSyncModel
import Foundation
import CLibYAML

/// A node's place in its file, lines and columns from 1. The file is the document's: a
/// node holding the path (a string too long to be stored inline) paid two reference counts
/// for every copy of every node and key: a fifth of a `validate`'s CPU (README → Performance).
struct YPosition: Sendable, Hashable {
    var line: Int32
    var column: Int32

    init(line: Int, column: Int) {
        self.line = Int32(truncatingIfNeeded: line)
        self.column = Int32(truncatingIfNeeded: column)
    }

    /// This place in the file shown as `path`.
    func location(in path: String) -> SourceLocation {
        SourceLocation(file: path, line: Int(line), column: Int(column))
    }
}

extension SourceFile {
    /// The display path in a string of its own, for one reader or checker. The locations
    /// made from it retain it, and the units of a file are read on several cores: one
    /// shared string's reference count, bounced between them, made two cores slower than one.
    var ownDisplayPath: String { String(decoding: Array(displayPath.utf8), as: UTF8.self) }
}

/// A YAML node with its position, built from libyaml's events. Not `indirect`: the
/// collections hold arrays, so no node needs a box of its own.
enum YNode: Sendable {
    enum ScalarKind: Sendable {
        case string
        case int
        case float
        case bool
        case null
    }

    struct Entry: Sendable {
        var key: String
        var keyPosition: YPosition
        var value: YNode
    }

    case scalar(String, ScalarKind, YPosition)
    case mapping([Entry], YPosition)
    case sequence([YNode], YPosition)

    var position: YPosition {
        switch self {
        case .scalar(_, _, let position), .mapping(_, let position), .sequence(_, let position): return position
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

    /// Every non-empty document of `file`, and the diagnostics of what could not be parsed
    /// (reading stops at the first syntax error). Read with libyaml's event API: anchors and
    /// aliases are refused at the event that names them, so nothing is ever expanded.
    static func documents(of file: SourceFile) -> ([YDocument], [Diagnostic]) {
        var documents: [YDocument] = []
        for unit in units(of: file) {
            let (read, problems) = unit.read()
            documents += read
            if !problems.isEmpty { return (documents, problems) }
        }
        return (documents, [])
    }

    /// What of `file` can be read on its own: the whole file, or (a large one) chunks of
    /// whole documents; a file too large or not UTF-8 is one unit holding its problem.
    static func units(of file: SourceFile) -> [YAMLUnit] {
        let start = SourceLocation(file: file.displayPath, line: 1, column: 1)
        guard file.contents.count <= maximumFileSize else {
            let problem = Diagnostic(code: "yaml-size", message: "the file is larger than \(maximumFileSize >> 20) MiB; split it", location: start)
            return [YAMLUnit(file: file, chunk: nil, problem: problem)]
        }
        guard Self.isUTF8(file.contents) else {
            return [YAMLUnit(file: file, chunk: nil, problem: Diagnostic(code: "yaml-encoding", message: "the file is not UTF-8 text", location: start))]
        }
        let chunks = YAMLChunks.split(file.contents)
        guard chunks.count > 1 else { return [YAMLUnit(file: file, chunk: nil, problem: nil)] }
        return chunks.map { YAMLUnit(file: file, chunk: $0, problem: nil) }
    }

    /// ASCII is checked byte by byte; other text is decoded once.
    static func isUTF8(_ contents: Data) -> Bool {
        let isASCII = contents.withUnsafeBytes { raw in
            var combined: UInt8 = 0
            for byte in raw { combined |= byte }
            return combined < 0x80
        }
        return isASCII || String(data: contents, encoding: .utf8) != nil
    }

}

/// One part of a file read on its own: all of it, or a chunk of whole documents.
struct YAMLUnit: Sendable {
    var file: SourceFile
    /// nil: the whole file.
    var chunk: YAMLChunks.Chunk?
    /// Why the file cannot be read at all.
    var problem: Diagnostic?

    /// The unit's documents (numbered through the file) and its syntax error, if any: read
    /// by ``YAMLFastReader`` when it can, else by libyaml. `path`: the display path its errors
    /// show, when the caller has its own copy already.
    func read(path: String? = nil) -> ([YDocument], [Diagnostic]) {
        if let problem { return ([], [problem]) }
        var reader = YAMLEventReader(
            file: file, path: path, range: chunk?.range, lineOffset: chunk?.lineOffset ?? 0, documentsBefore: chunk?.documentsBefore ?? 0)
        if let documents = reader.fastDocuments() { return (documents, []) }
        return reader.read()
    }
}

/// Splits a large YAML stream into chunks of whole documents, at `---` lines, so that they
/// can be read one after another (a chunk's tree is dropped once its documents are
/// checked) and in parallel. A document marker at the start of a line always starts a
/// document (YAML forbids it inside a quoted or block scalar), so a chunk parses as the same
/// documents. A file with directives (`%YAML`, `%TAG`: they belong to the next document) is
/// never split.
enum YAMLChunks {
    /// Files smaller than twice this are read whole; larger ones in chunks of about this.
    /// Small chunks keep both cores busy to the end (five 256 KiB chunks of a 1.2 MB file left
    /// one core idle for a fifth of the read) and let each chunk's tree reuse the memory the
    /// last one freed (a third fewer page faults).
    static let chunkSize = 32 << 10

    struct Chunk: Sendable {
        var range: Range<Int>
        /// Newlines before `range`.
        var lineOffset: Int
        /// Documents the file starts before `range` (libyaml's document-start events).
        var documentsBefore: Int
    }

    static func split(_ contents: Data) -> [Chunk] {
        let whole = [Chunk(range: 0..<contents.count, lineOffset: 0, documentsBefore: 0)]
        guard contents.count >= 2 * chunkSize else { return whole }
        return contents.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Chunk] in
            let bytes = raw.bindMemory(to: UInt8.self)
            let count = bytes.count
            // Every line start: a directive refuses splitting, a `---` line is a boundary,
            // and content before the first boundary is an implicit first document.
            // Line breaks other than LF and CRLF (a lone CR, NEL, LS, PS) count as lines for
            // libyaml: such a file is read whole, so that positions stay exact.
            if hasOtherLineBreaks(bytes) { return whole }
            var boundaries: [Int] = []
            var implicitFirst = false
            var start = 0
            while start < count {
                let first = start == 0 && hasByteOrderMark(bytes) ? 3 : start
                if first < count, bytes[first] == UInt8(ascii: "%") { return whole }
                if isDocumentStart(bytes, at: start) {
                    boundaries.append(start)
                } else if boundaries.isEmpty, !implicitFirst, hasContent(bytes, line: start) {
                    implicitFirst = true
                }
                guard let newline = nextNewline(bytes, from: start) else { break }
                start = newline + 1
            }
            var cuts: [Int] = []
            var next = 0
            var target = chunkSize
            while target < count - chunkSize / 2 {
                while next < boundaries.count, boundaries[next] < target { next += 1 }
                guard next < boundaries.count else { break }
                let cut = boundaries[next]
                if cut > (cuts.last ?? 0) { cuts.append(cut) }
                target = cut + chunkSize
            }
            guard !cuts.isEmpty else { return whole }
            var chunks: [Chunk] = []
            var lower = 0
            var lines = 0
            var boundaryIndex = 0
            for upper in cuts + [count] {
                while boundaryIndex < boundaries.count, boundaries[boundaryIndex] < lower { boundaryIndex += 1 }
                // Before the first chunk there is nothing; before a later one, every `---` so far
                // and the implicit first document, if any.
                let before = lower == 0 ? 0 : boundaryIndex + (implicitFirst ? 1 : 0)
                chunks.append(Chunk(range: lower..<upper, lineOffset: lines, documentsBefore: before))
                lines += newlines(bytes, lower..<upper)
                lower = upper
            }
            return chunks
        }
    }

    private static func hasByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// A CR not followed by LF, or NEL (C2 85), LS (E2 80 A8), PS (E2 80 A9).
    private static func hasOtherLineBreaks(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            switch bytes[index] {
            case 0x0D:
                if index + 1 >= count || bytes[index + 1] != 0x0A { return true }
            case 0xC2:
                if index + 1 < count, bytes[index + 1] == 0x85 { return true }
            case 0xE2:
                if index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 { return true }
            default:
                break
            }
            index += 1
        }
        return false
    }

    private static func newlines(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var lines = 0
        var index = range.lowerBound
        while index < range.upperBound, let newline = nextNewline(bytes, from: index), newline < range.upperBound {
            lines += 1
            index = newline + 1
        }
        return lines
    }

    static func nextNewline(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int? {
        guard index < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + index, 0x0A, bytes.count - index) else { return nil }
        return UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
    }

    /// Whether the line at `start` holds a token: not blank, not a comment, not the byte
    /// order mark alone. (A `...` counts: at the start of a stream libyaml opens an implicit,
    /// empty document for it.)
    private static func hasContent(_ bytes: UnsafeBufferPointer<UInt8>, line start: Int) -> Bool {
        var index = start
        if start == 0, hasByteOrderMark(bytes) { index = 3 }
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D { index += 1 }
        return index < bytes.count && bytes[index] != 0x0A && bytes[index] != UInt8(ascii: "#")
    }

    /// `---` at `start`, followed by a space, a tab, a line end or the end of the stream.
    private static func isDocumentStart(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        guard start + 3 <= bytes.count, bytes[start] == 0x2D, bytes[start + 1] == 0x2D, bytes[start + 2] == 0x2D else { return false }
        guard start + 3 < bytes.count else { return true }
        let next = bytes[start + 3]
        return next == 0x20 || next == 0x09 || next == 0x0A || next == 0x0D
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

