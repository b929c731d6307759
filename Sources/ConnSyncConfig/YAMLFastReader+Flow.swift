import ConnSyncModel

/// Flow collections on one line (`{a: 1, b: [x, 'y']}`, JSON objects included).
extension YAMLFastReader {
    /// A one-line flow collection at `index`; returns the index after its closing bracket.
    mutating func flowCollection(_ line: Line, from index: Int) throws(Decline) -> Int {
        let isMapping = bytes[index] == UInt8(ascii: "{")
        let close = isMapping ? UInt8(ascii: "}") : UInt8(ascii: "]")
        try start(isMapping: isMapping, at: position(line, index))
        var at = index + 1
        while byte(at) == 0x20 { at += 1 }
        if byte(at) != close {
            while true {
                if isMapping {
                    let key = at
                    at = try flowNode(line, from: at, isKey: true)
                    while byte(at) == 0x20 { at += 1 }
                    // libyaml's simple-key limit counts from the key's start to its `:`.
                    guard byte(at) == UInt8(ascii: ":"), at - key <= Self.maximumKey else { throw Decline() }
                    // After a plain key only `: ` (a quoted key may be followed by `:` at once).
                    let quotedKey = bytes[key] == UInt8(ascii: "'") || bytes[key] == UInt8(ascii: "\"")
                    guard quotedKey || byte(at + 1) == 0x20 else { throw Decline() }
                    at += 1
                    while byte(at) == 0x20 { at += 1 }
                    guard byte(at) != UInt8(ascii: ","), byte(at) != close else { throw Decline() }
                }
                at = try flowNode(line, from: at, isKey: false)
                while byte(at) == 0x20 { at += 1 }
                guard byte(at) == UInt8(ascii: ",") else { break }
                at += 1
                while byte(at) == 0x20 { at += 1 }
                guard byte(at) != close else { throw Decline() }
            }
            guard byte(at) == close, at < line.end else { throw Decline() }
        }
        try event { (r: inout YAMLEventReader) throws(YAMLEventReader.Failure) in try r.endCollection(isMapping: isMapping) }
        return at + 1
    }

    /// A node inside a flow collection; returns the index after it (spaces after a plain
    /// scalar included).
    mutating func flowNode(_ line: Line, from index: Int, isKey: Bool) throws(Decline) -> Int {
        switch byte(index) {
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard !isKey else { throw Decline() }
            return try flowCollection(line, from: index)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return try quoted(line, from: index)
        default:
            guard Self.canStartPlain(byte(index), next: byte(index + 1)) else { throw Decline() }
            var end = index
            var last = index
            scan: while end < line.end {
                switch bytes[end] {
                case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ":"):
                    break scan
                case UInt8(ascii: "#") where bytes[end - 1] == 0x20:
                    throw Decline()
                case 0x20:
                    break
                default:
                    last = end
                }
                end += 1
            }
            guard end < line.end else { throw Decline() }
            try scalar(line, index..<(last + 1), isPlain: true)
            return end
        }
    }

}
