/// The armored (PEM-like) form of an age file, read as age reads it: at most 1 KiB of
/// whitespace before the BEGIN line, lines of canonical padded base64 of 64 columns (LF or
/// CRLF), the last one shorter (maybe empty) and followed by the END line, then at most
/// 1 KiB of whitespace.
enum Armor {
    static let beginLine = "-----BEGIN AGE ENCRYPTED FILE-----"
    static let endLine = "-----END AGE ENCRYPTED FILE-----"
    /// The most whitespace tolerated before the BEGIN line and after the END line.
    static let maximumWhitespace = 1024
    private static let columnsPerLine = 64
    private static let bytesPerLine = 48

    /// Whether `bytes` starts, after tolerated whitespace, with the BEGIN line.
    static func isArmored(_ bytes: [UInt8]) -> Bool {
        let skipped = bytes.prefix(maximumWhitespace + 1).prefix(while: isWhitespace).count
        return skipped <= maximumWhitespace && bytes[skipped...].starts(with: beginLine.utf8)
    }

    /// The binary age file that armored `bytes` encode.
    static func decode(_ bytes: [UInt8]) throws(AgeError) -> [UInt8] {
        var lines = Lines(bytes: bytes)
        var leading = 0
        var line = try lines.next()
        // Each skipped line costs at least one byte of the limit, which bounds the loop.
        for _ in 0...maximumWhitespace {
            guard line.allSatisfy(isWhitespace) else { break }
            leading += line.count + 1
            guard leading <= maximumWhitespace else { throw .badArmor(reason: "more than 1 KiB of whitespace before it") }
            line = try lines.next()
        }
        guard line.elementsEqual(beginLine.utf8) else {
            throw .badArmor(reason: "its first line is not exactly '\(beginLine)'")
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count * 3 / 4)
        // Each line holds at least its newline, so the input's size bounds them.
        for _ in 0...bytes.count {
            let line = try lines.next()
            if line.elementsEqual(endLine.utf8) { break }
            guard line.count <= columnsPerLine else { throw .badArmor(reason: "a line is longer than 64 columns") }
            guard let chunk = Base64.decodePadded(line) else {
                throw .badArmor(reason: "a line is not canonical padded base64")
            }
            decoded.append(contentsOf: chunk)
            if chunk.count < bytesPerLine {
                guard try lines.next().elementsEqual(endLine.utf8) else {
                    throw .badArmor(reason: "a short line is not followed by '\(endLine)'")
                }
                break
            }
        }
        let trailing = lines.rest
        guard trailing.allSatisfy(isWhitespace) else { throw .badArmor(reason: "data follows its END line") }
        guard trailing.count < maximumWhitespace else {
            throw .badArmor(reason: "more than 1 KiB of whitespace after its END line")
        }
        return decoded
    }

    /// ASCII whitespace, as Go's `bytes.TrimSpace` sees it in ASCII.
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// Lines ending in LF or CRLF (or at the end of the input), without their ending.
    private struct Lines {
        let bytes: [UInt8]
        var position = 0

        var rest: ArraySlice<UInt8> { bytes[position...] }

        /// The next line; at the end of the input, an error (the armor is truncated).
        mutating func next() throws(AgeError) -> ArraySlice<UInt8> {
            guard position < bytes.count else {
                throw .badArmor(reason: "it ends before its END line (the file is truncated)")
            }
            let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = bytes[position..<end]
            position = min(end + 1, bytes.count)
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            return line
        }
    }
}
