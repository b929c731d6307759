import Crypto

/// One recipient stanza: `-> type arguments...` and its body.
struct Stanza {
    var type: String
    var arguments: [String]
    var body: [UInt8]
}

/// The header of a binary age file, parsed as strictly as age parses it: the intro line,
/// stanzas whose arguments are printable ASCII separated by single spaces and whose bodies
/// are canonical unpadded base64 wrapped at 64 columns (the last line shorter, maybe
/// empty), then `--- ` and the MAC. Strict parsing makes the header's bytes the one
/// encoding of its content, so the MAC is checked over the bytes as they are.
struct Header {
    static let intro = Array("age-encryption.org/v1\n".utf8)
    /// The most header bytes read before giving up on finding the MAC line.
    static let maximumSize = 64 * 1024
    /// The most stanzas a header may have.
    static let maximumStanzas = 1024
    /// A full body line: 64 columns of base64.
    private static let bytesPerLine = 48

    var stanzas: [Stanza]
    /// The header's MAC (32 bytes).
    var mac: [UInt8]
    /// How many bytes the MAC covers: the header up to and including `---`.
    var macCoverage: Int
    /// Where the payload starts: after the MAC line's newline.
    var payloadStart: Int

    /// Whether `bytes` starts with the intro line of age v1.
    static func hasIntro(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: intro)
    }

    /// The header at the start of `bytes`.
    static func parse(_ bytes: [UInt8]) throws(AgeError) -> Header {
        guard hasIntro(bytes) else {
            if bytes.elementsEqual(intro.dropLast()) {
                throw .malformedHeader(reason: "the file ends after its version line (it is truncated)")
            }
            if bytes.starts(with: "age-encryption.org/".utf8) {
                throw .malformedHeader(reason: "its version line is not 'age-encryption.org/v1'")
            }
            throw .notAgeFile
        }
        var lines = LineReader(bytes: bytes, position: intro.count)
        var stanzas: [Stanza] = []
        for _ in 0...maximumStanzas {
            let start = lines.position
            let line = try lines.next()
            if line.starts(with: "---".utf8) {
                let mac = try parseMAC(line)
                return Header(stanzas: stanzas, mac: mac, macCoverage: start + 3, payloadStart: lines.position)
            }
            guard stanzas.count < maximumStanzas else {
                throw .malformedHeader(reason: "it has more than \(maximumStanzas) recipient stanzas")
            }
            stanzas.append(try parseStanza(line, &lines))
        }
        throw .malformedHeader(reason: "it has more than \(maximumStanzas) recipient stanzas")
    }

    /// Whether `fileKey` authenticates the header at the start of `bytes`.
    func verifyMAC(of bytes: [UInt8], fileKey: SymmetricKey) -> Bool {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, info: Array("header".utf8), outputByteCount: 32)
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: bytes[0..<macCoverage], using: key)
    }

    private static func parseMAC(_ line: ArraySlice<UInt8>) throws(AgeError) -> [UInt8] {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].elementsEqual("---".utf8), let mac = Base64.decodeUnpadded(parts[1]),
            mac.count == 32
        else { throw .malformedHeader(reason: "its MAC line is not '--- ' and a base64 HMAC-SHA256") }
        return mac
    }

    private static func parseStanza(_ line: ArraySlice<UInt8>, _ lines: inout LineReader) throws(AgeError) -> Stanza {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].elementsEqual("->".utf8) else {
            throw .malformedHeader(reason: "a line is neither a recipient stanza ('-> ') nor the MAC line ('--- ')")
        }
        let arguments = parts.dropFirst()
        guard arguments.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (33...126).contains($0) } }) else {
            throw .malformedHeader(reason: "a stanza's arguments are not printable ASCII separated by single spaces")
        }
        var body: [UInt8] = []
        // Each body line holds at least its newline, so the header's size bounds them.
        for _ in 0...(maximumSize / 2) {
            let bodyLine = try lines.next()
            guard let decoded = Base64.decodeUnpadded(bodyLine) else {
                throw .malformedHeader(reason: "a stanza's body line is not canonical base64 without padding")
            }
            guard decoded.count <= bytesPerLine else {
                throw .malformedHeader(reason: "a stanza's body line is longer than 64 columns")
            }
            body.append(contentsOf: decoded)
            if decoded.count < bytesPerLine {
                let strings = arguments.map { String(decoding: $0, as: UTF8.self) }
                return Stanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body)
            }
        }
        throw .malformedHeader(reason: "it is longer than \(maximumSize / 1024) KiB")
    }
}

/// The `\n`-terminated lines of a header, within its size limit.
private struct LineReader {
    let bytes: [UInt8]
    var position: Int

    /// The next line without its newline.
    mutating func next() throws(AgeError) -> ArraySlice<UInt8> {
        let limit = min(bytes.count, Header.maximumSize)
        guard let newline = bytes[min(position, limit)..<limit].firstIndex(of: UInt8(ascii: "\n")) else {
            if bytes.count > Header.maximumSize {
                throw .malformedHeader(reason: "it is longer than \(Header.maximumSize / 1024) KiB")
            }
            throw .malformedHeader(reason: "it ends before its MAC line (the file is truncated)")
        }
        defer { position = newline + 1 }
        return bytes[position..<newline]
    }
}
