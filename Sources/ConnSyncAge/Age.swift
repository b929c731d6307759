import Crypto
import Foundation

/// Decryption of age files (age-encryption.org/v1) with X25519 identities.
///
/// Contracts of every function: no state, no I/O, no global mutable state; safe from any
/// thread. A file that age would refuse is refused (an ``AgeError``), so damage never
/// yields plaintext; the plaintext is returned whole only once every chunk authenticated.
public enum Age {
    /// Whether `data` starts as an age file, binary (`age-encryption.org/v1`) or armored.
    ///
    /// True for the binary intro line `age-encryption.org/v1` and a newline, or for the
    /// armor's BEGIN line after at most 1 KiB of whitespace. It looks at the start only: a
    /// true result says what the data claims to be, not that it decrypts.
    public static func isEncrypted(_ data: Data) -> Bool {
        let start = [UInt8](data.prefix(Armor.maximumWhitespace + Armor.beginLine.utf8.count))
        return Header.hasIntro(start) || Armor.isArmored(start)
    }

    /// The identities of an identity file in age-keygen format: `AGE-SECRET-KEY-1...` lines,
    /// `#` comments and blank lines; several keys allowed.
    ///
    /// Lines end in LF or CRLF; a comment starts with `#` in the first column; a blank line
    /// holds only whitespace. Every other line must be one upper-case X25519 secret key with
    /// nothing around it, else ``AgeError/invalidIdentity(line:reason:)`` names its 1-based
    /// line. Without any key: ``AgeError/noIdentities``. The identities keep file order.
    public static func identities(fromFile text: String) throws(AgeError) -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            var line = Substring(rawLine)
            if line.utf8.last == UInt8(ascii: "\r") { line = Substring(line.utf8.dropLast()) }
            if line.hasPrefix("#") || line.allSatisfy(\.isWhitespace) { continue }
            do {
                identities.append(try AgeIdentity(parsing: String(line)))
            } catch {
                guard case .invalidIdentity(_, let reason) = error else { throw error }
                throw .invalidIdentity(line: index + 1, reason: reason)
            }
        }
        guard !identities.isEmpty else { throw .noIdentities }
        return identities
    }

    /// The plaintext of `data` (binary or armored), with the first identity whose X25519
    /// stanza matches; unknown stanza types are skipped. At most `maximumSize` bytes of plaintext.
    ///
    /// Identities are tried in order, each against every X25519 stanza in file order. Then the
    /// header MAC is verified and every payload chunk authenticated; the size limit is checked
    /// before any chunk is decrypted (a negative `maximumSize` counts as 0). Errors: a file that
    /// is neither form, ``AgeError/notAgeFile``; bad armor, ``AgeError/badArmor(reason:)``; a
    /// header age refuses (an scrypt stanza beside others, a malformed X25519 stanza, a
    /// low-order share), ``AgeError/malformedHeader(reason:)``; no X25519 stanza at all,
    /// ``AgeError/unsupportedRecipients(types:)``; no identity matching,
    /// ``AgeError/noMatchingIdentity(tried:recipients:)``; then ``AgeError/headerMACMismatch``,
    /// ``AgeError/plaintextTooLarge(limit:)`` and ``AgeError/damagedPayload(reason:)``.
    public static func decrypt(_ data: Data, identities: [AgeIdentity], maximumSize: Int) throws(AgeError) -> Data {
        var bytes = [UInt8](data)
        if !Header.hasIntro(bytes) && Armor.isArmored(bytes) { bytes = try Armor.decode(bytes) }
        let header = try Header.parse(bytes)
        let shares = try x25519Stanzas(of: header.stanzas)
        guard let fileKey = try fileKey(shares, identities) else {
            throw .noMatchingIdentity(tried: identities.count, recipients: shares.count)
        }
        guard header.verifyMAC(of: bytes, fileKey: fileKey) else { throw .headerMACMismatch }
        return try Payload.decrypt(bytes[header.payloadStart...], fileKey: fileKey, maximumSize: maximumSize)
    }

    /// The ephemeral share and wrapped file key of each X25519 stanza, in file order, once the
    /// header's stanzas as a whole are checked the way age checks them.
    private static func x25519Stanzas(of stanzas: [Stanza]) throws(AgeError) -> [(share: [UInt8], body: [UInt8])] {
        guard !stanzas.isEmpty else { throw .malformedHeader(reason: "it has no recipient stanza") }
        if stanzas.count > 1 && stanzas.contains(where: { $0.type == "scrypt" }) {
            throw .malformedHeader(reason: "an scrypt (passphrase) stanza must be the only stanza of a file")
        }
        var shares: [(share: [UInt8], body: [UInt8])] = []
        for stanza in stanzas where stanza.type == "X25519" {
            guard stanza.arguments.count == 1, let share = Base64.decodeUnpadded(Array(stanza.arguments[0].utf8)[...]),
                share.count == 32, stanza.body.count == 32
            else {
                throw .malformedHeader(reason: "an X25519 stanza does not have one 32-byte share and a 32-byte body")
            }
            shares.append((share, stanza.body))
        }
        guard !shares.isEmpty else {
            var types: [String] = []
            for stanza in stanzas where !types.contains(stanza.type) { types.append(stanza.type) }
            throw .unsupportedRecipients(types: types.map(printable))
        }
        return shares
    }

    /// The file key that the first identity to match unwraps, or nil when none matches.
    private static func fileKey(
        _ stanzas: [(share: [UInt8], body: [UInt8])], _ identities: [AgeIdentity]
    ) throws(AgeError) -> SymmetricKey? {
        for identity in identities {
            for stanza in stanzas {
                if let key = try identity.unwrap(share: stanza.share, body: stanza.body) { return key }
            }
        }
        return nil
    }

    /// A stanza type as an error message shows it: it is printable ASCII already; cut to 40.
    private static func printable(_ type: String) -> String {
        type.utf8.count <= 40 ? type : String(type.prefix(40)) + "..."
    }
}
