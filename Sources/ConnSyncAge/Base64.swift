/// Strict base64 of the standard alphabet (RFC 4648 §4), as age reads it: canonical only.
///
/// The unused low bits of a last partial group must be zero, and nothing but the alphabet
/// (and, padded, one or two final `=`) may appear: no whitespace, no line breaks. So one
/// byte string has exactly one accepted encoding, as with Go's `base64.Strict()`.
enum Base64 {
    /// The bytes `text` encodes without padding (age's header), or nil when not canonical.
    static func decodeUnpadded(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let remainder = text.count % 4
        guard remainder != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var index = text.startIndex
        while text.endIndex - index >= 4 {
            guard let a = value(text[index]), let b = value(text[index + 1]), let c = value(text[index + 2]),
                let d = value(text[index + 3])
            else { return nil }
            output.append(a << 2 | b >> 4)
            output.append(b << 4 | c >> 2)
            output.append(c << 6 | d)
            index += 4
        }
        switch remainder {
        case 2:
            guard let a = value(text[index]), let b = value(text[index + 1]), b & 0x0F == 0 else { return nil }
            output.append(a << 2 | b >> 4)
        case 3:
            guard let a = value(text[index]), let b = value(text[index + 1]), let c = value(text[index + 2]),
                c & 0x03 == 0
            else { return nil }
            output.append(a << 2 | b >> 4)
            output.append(b << 4 | c >> 2)
        default:
            break
        }
        return output
    }

    /// The bytes `text` encodes with padding (the armor's lines), or nil when not canonical:
    /// its length a multiple of 4, `=` only as the one or two last characters and only where
    /// the last group is partial.
    static func decodePadded(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        let equals = UInt8(ascii: "=")
        var end = text.endIndex
        if end > text.startIndex, text[end - 1] == equals { end -= 1 }
        if end > text.startIndex, text[end - 1] == equals { end -= 1 }
        // Two `=` leave 2 characters in the last group, one leaves 3: decodeUnpadded rejects
        // a lone character (a third `=`), and any other `=` is outside the alphabet.
        return decodeUnpadded(text[text.startIndex..<end])
    }

    /// The 6-bit value of one character of the standard alphabet.
    private static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
