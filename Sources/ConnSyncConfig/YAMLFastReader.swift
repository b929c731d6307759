import ConnSyncModel

/// Reads the block-style YAML that connsync files are written in, without libyaml, into
/// the same tree (``YAMLEventReader`` builds it from the same calls, with the same
/// positions). It takes only what it is sure of and **declines** everything else, and then
/// the unit is read again by libyaml, so every error message, and every construct outside
/// the subset, is libyaml's.
///
/// The subset: ASCII text without tabs or carriage returns; `---` lines (alone or with a
/// comment); block mappings with plain keys; block sequences (also at their key's
/// indentation), with scalars, one-line flow collections or compact mappings as items;
/// plain scalars on one line; single-quoted scalars and double-quoted ones without escapes
/// on one line; one-line flow collections of those; `#` comments. Never: an empty value,
/// a scalar continued on the next line, block scalars, anchors, aliases, tags, directives,
/// `?` keys, `...`, or anything libyaml would refuse. A document is at most
/// ``maximumKey`` bytes per key (libyaml's simple-key limit is 1024).
struct YAMLFastReader {
    struct Decline: Error {}

    static let maximumKey = 1000

    let bytes: UnsafeBufferPointer<UInt8>
    private var reader: YAMLEventReader
    /// The start of the line the reader is at, and its number (from 0 within the unit).
    private var lineStart = 0
    private var lineNumber = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, reader: YAMLEventReader) {
        self.bytes = bytes
        self.reader = reader
    }

    /// The documents of `bytes` as `reader` would build them from libyaml's events, or nil
    /// when the text is outside the subset (or wrong): then libyaml must read it.
    static func documents(_ bytes: UnsafeBufferPointer<UInt8>, reader: YAMLEventReader) -> [YDocument]? {
        // Printable ASCII and LF only: columns are bytes, and no tab or CR needs a rule.
        for byte in bytes where byte > 0x7E || (byte < 0x20 && byte != 0x0A) { return nil }
        var fast = YAMLFastReader(bytes: bytes, reader: reader)
        do {
            try fast.stream()
        } catch {
            return nil
        }
        return fast.reader.documents
    }

    // MARK: - lines

    struct Line {
        var start: Int
        var end: Int
        var number: Int
        /// Column of the first character.
        var indent: Int
        var isMarker: Bool
    }

    func byte(_ index: Int) -> UInt8 { index < bytes.count ? bytes[index] : 0x0A }

    private func lineEnd(from index: Int) -> Int {
        YAMLChunks.nextNewline(bytes, from: index) ?? bytes.count
    }

    /// The next line holding more than spaces and a comment, from the reader's line on.
    private func peek() -> Line? {
        var start = lineStart
        var number = lineNumber
        while start < bytes.count {
            var first = start
            while byte(first) == 0x20 { first += 1 }
            let end = lineEnd(from: first)
            if first < end, bytes[first] != UInt8(ascii: "#") {
                return Line(
                    start: start, end: end, number: number, indent: first - start,
                    isMarker: first == start && end - start >= 3 && bytes[start] == 0x2D && bytes[start + 1] == 0x2D && bytes[start + 2] == 0x2D)
            }
            start = end + 1
            number += 1
        }
        return nil
    }

    /// Moves the reader to the line after `line`.
    private mutating func pass(_ line: Line) {
        lineStart = line.end + 1
        lineNumber = line.number + 1
    }

    func position(_ line: Line, _ index: Int) -> YPosition {
        reader.position(line: line.number, column: index - line.start)
    }

    // MARK: - documents

    private mutating func stream() throws(Decline) {
        var first = true
        while let line = peek() {
            if line.isMarker {
                // `---` alone, or followed by spaces and a comment.
                var index = line.start + 3
                guard index == line.end || byte(index) == 0x20 else { throw Decline() }
                while byte(index) == 0x20 { index += 1 }
                guard index == line.end || byte(index) == UInt8(ascii: "#") else { throw Decline() }
                pass(line)
            } else if !first {
                throw Decline()
            }
            first = false
            reader.startDocument()
            guard let root = peek(), !root.isMarker else {
                // An empty document: libyaml's empty plain scalar, which the tree skips.
                let empty = UnsafeBufferPointer(rebasing: bytes[0..<0])
                try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in
                    try r.scalar(empty, isPlain: true, at: r.position(line: 0, column: 0))
                }
                continue
            }
            try checkLine(root)
            try node(root, column: root.start + root.indent)
            // One root per document.
            if let next = peek(), !next.isMarker { throw Decline() }
        }
    }

    /// Lines the subset never reads: `...` and directives (a `---` line is a marker, which
    /// every caller has handled before).
    private func checkLine(_ line: Line) throws(Decline) {
        guard line.indent == 0 else { return }
        let first = bytes[line.start]
        if first == UInt8(ascii: "%") { throw Decline() }
        if first == 0x2E && line.end - line.start >= 3 && bytes[line.start + 1] == first && bytes[line.start + 2] == first {
            throw Decline()
        }
    }

    mutating func start(isMapping: Bool, at place: YPosition) throws(Decline) {
        try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.startCollection(isMapping: isMapping, at: place) }
    }

    mutating func event(_ body: (inout YAMLEventReader) throws(YAMLEventReader.Failure) -> Void) throws(Decline) {
        do {
            try body(&reader)
        } catch {
            throw Decline()
        }
    }

    // MARK: - block collections

    /// The block node whose first character is at `index` on `line`.
    private mutating func node(_ line: Line, column index: Int) throws(Decline) {
        if byte(index) == 0x2D && byte(index + 1) == 0x20 {
            try sequence(line, column: index)
        } else {
            try mapping(line, column: index)
        }
    }

    /// A block mapping whose first key is at `index` on `line`; its other keys are lines
    /// indented to the same column.
    private mutating func mapping(_ first: Line, column index: Int) throws(Decline) {
        let column = index - first.start
        try start(isMapping: true, at: position(first, index))
        var line = first
        var keyStart = index
        while true {
            let colon = try key(line, from: keyStart)
            var value = colon + 1
            while byte(value) == 0x20 { value += 1 }
            if value == line.end || byte(value) == UInt8(ascii: "#") {
                // The value is on the lines below: a nested collection, or a sequence at
                // this key's own column.
                pass(line)
                guard let next = peek(), !next.isMarker else { throw Decline() }
                try checkLine(next)
                let dash = byte(next.start + next.indent) == 0x2D && byte(next.start + next.indent + 1) == 0x20
                if next.indent > column {
                    try node(next, column: next.start + next.indent)
                } else if next.indent == column && dash {
                    try sequence(next, column: next.start + next.indent)
                } else {
                    throw Decline()
                }
            } else {
                try inline(line, from: value)
                pass(line)
            }
            guard let next = peek(), !next.isMarker, next.indent >= column else { break }
            guard next.indent == column else { throw Decline() }
            try checkLine(next)
            line = next
            keyStart = next.start + next.indent
        }
        try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.endCollection(isMapping: true) }
    }

    /// A plain key at `index` on `line`; returns the index of its `:`.
    private mutating func key(_ line: Line, from index: Int) throws(Decline) -> Int {
        guard Self.canStartPlain(byte(index), next: byte(index + 1)) else { throw Decline() }
        var end = index
        while end < line.end {
            let byte = bytes[end]
            if byte == UInt8(ascii: ":"), self.byte(end + 1) == 0x20 || end + 1 == line.end { break }
            if byte == UInt8(ascii: "#"), bytes[end - 1] == 0x20 { throw Decline() }
            end += 1
        }
        // No `:` on the line, a space before it, or a key too long for libyaml.
        guard end < line.end, bytes[end - 1] != 0x20, end - index <= Self.maximumKey else { throw Decline() }
        try scalar(line, index..<end, isPlain: true)
        return end
    }

    /// A block sequence whose first `-` is at `index` on `line`; its other items are lines
    /// starting with `- ` at the same column.
    private mutating func sequence(_ first: Line, column index: Int) throws(Decline) {
        let column = index - first.start
        try start(isMapping: false, at: position(first, index))
        var line = first
        while true {
            var item = line.start + column + 1
            while byte(item) == 0x20 { item += 1 }
            guard item < line.end, byte(item) != UInt8(ascii: "#") else { throw Decline() }
            if try isCompactMapping(line, from: item) {
                try mapping(line, column: item)
            } else {
                try inline(line, from: item)
                pass(line)
            }
            guard let next = peek(), !next.isMarker, next.indent >= column else { break }
            guard next.indent == column else { throw Decline() }
            guard byte(next.start + column) == 0x2D && byte(next.start + column + 1) == 0x20 else { break }
            line = next
        }
        try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.endCollection(isMapping: false) }
    }

    /// Whether the item at `index` is `key: ...` (a mapping starting on the item's line).
    private func isCompactMapping(_ line: Line, from index: Int) throws(Decline) -> Bool {
        let first = byte(index)
        if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") || first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") {
            return false
        }
        if first == 0x2D && byte(index + 1) == 0x20 { throw Decline() }
        var end = index
        while end < line.end {
            if bytes[end] == UInt8(ascii: ":"), byte(end + 1) == 0x20 || end + 1 == line.end { return true }
            if bytes[end] == UInt8(ascii: "#"), bytes[end - 1] == 0x20 { return false }
            end += 1
        }
        return false
    }

    // MARK: - values on one line

    /// The value starting at `index`, which must end the line (or come before a comment).
    private mutating func inline(_ line: Line, from index: Int) throws(Decline) {
        var end: Int
        switch byte(index) {
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            end = try flowCollection(line, from: index)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            end = try quoted(line, from: index)
        default:
            guard Self.canStartPlain(byte(index), next: byte(index + 1)) else { throw Decline() }
            end = index
            var last = index
            while end < line.end {
                let byte = bytes[end]
                if byte == UInt8(ascii: ":"), self.byte(end + 1) == 0x20 || end + 1 == line.end { throw Decline() }
                if byte == UInt8(ascii: "#"), bytes[end - 1] == 0x20 { break }
                if byte != 0x20 { last = end }
                end += 1
            }
            try scalar(line, index..<(last + 1), isPlain: true)
            return
        }
        // After a quoted or flow value: spaces, then the line's end or a comment.
        let afterValue = end
        while byte(end) == 0x20 { end += 1 }
        guard end == line.end || (byte(end) == UInt8(ascii: "#") && end > afterValue) else { throw Decline() }
    }

    /// A quoted scalar at `index`; returns the index after its closing quote.
    mutating func quoted(_ line: Line, from index: Int) throws(Decline) -> Int {
        let quote = bytes[index]
        var end = index + 1
        var doubled = false
        while true {
            guard end < line.end else { throw Decline() }
            let byte = bytes[end]
            if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") { throw Decline() }
            if byte == quote {
                guard quote == UInt8(ascii: "'"), self.byte(end + 1) == quote else { break }
                doubled = true
                end += 2
                continue
            }
            end += 1
        }
        let content = (index + 1)..<end
        if doubled {
            // '' is one quote.
            var text: [UInt8] = []
            text.reserveCapacity(content.count)
            var at = content.lowerBound
            while at < content.upperBound {
                text.append(bytes[at])
                at += bytes[at] == quote ? 2 : 1
            }
            try text.withUnsafeBufferPointer { (unescaped) throws(Decline) in
                let place = position(line, index)
                try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.scalar(unescaped, isPlain: false, at: place) }
            }
        } else {
            let place = position(line, index)
            let text = UnsafeBufferPointer(rebasing: bytes[content])
            try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.scalar(text, isPlain: false, at: place) }
        }
        return end + 1
    }

    mutating func scalar(_ line: Line, _ range: Range<Int>, isPlain: Bool) throws(Decline) {
        let place = position(line, range.lowerBound)
        let text = UnsafeBufferPointer(rebasing: bytes[range])
        try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.scalar(text, isPlain: isPlain, at: place) }
    }

    /// Whether a plain scalar may start with `byte` (followed by `next`): not an indicator,
    /// except `-` and `:` before a non-space (`?` never: the subset has no explicit keys).
    static func canStartPlain(_ byte: UInt8, next: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: ":"):
            return next != 0x20 && next != 0x0A
        case UInt8(ascii: "?"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"),
            UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"),
            UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"), 0x20, 0x0A:
            return false
        default:
            return true
        }
    }
}
