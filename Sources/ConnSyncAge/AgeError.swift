/// Why an age file or an identity could not be used.
///
/// Every ``description`` is a message a user can act on. None carries key material,
/// plaintext or the text of an identity line: the details are fixed phrases of this module,
/// counts, line numbers and the stanza types of a header (public, printable ASCII, capped).
public enum AgeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The identity file has no `AGE-SECRET-KEY-1...` line.
    case noIdentities
    /// An identity is not a valid X25519 secret key: `line` is its 1-based line in the
    /// identity file (nil for ``AgeIdentity/init(parsing:)``), `reason` says what is wrong.
    case invalidIdentity(line: Int?, reason: String)
    /// The data starts neither with `age-encryption.org/v1` nor with the armor's BEGIN line.
    case notAgeFile
    /// The header is not well-formed (or not age v1): `reason` says what is wrong.
    case malformedHeader(reason: String)
    /// Every recipient stanza is of a type connsync does not decrypt: the types in file order,
    /// each once (`scrypt` is a passphrase, `ssh-ed25519`/`ssh-rsa` SSH keys, others plugins).
    case unsupportedRecipients(types: [String])
    /// None of the `tried` identities unwraps any of the file's `recipients` X25519 stanzas.
    case noMatchingIdentity(tried: Int, recipients: Int)
    /// The file key was found but the header's MAC does not verify: the header was altered.
    case headerMACMismatch
    /// The payload does not authenticate, is truncated or has data after its end.
    case damagedPayload(reason: String)
    /// The plaintext would be longer than `limit` bytes.
    case plaintextTooLarge(limit: Int)
    /// The data starts as an armored age file but the armor is not well-formed.
    case badArmor(reason: String)

    public var description: String {
        switch self {
        case .noIdentities:
            return "the identity file holds no age secret key (an AGE-SECRET-KEY-1... line as age-keygen writes it)"
        case .invalidIdentity(let line?, let reason):
            return "line \(line) of the identity file is not a valid age secret key: \(reason)"
        case .invalidIdentity(nil, let reason):
            return "not a valid age secret key: \(reason)"
        case .notAgeFile:
            return "not an age-encrypted file: it starts neither with 'age-encryption.org/v1' nor with '\(Armor.beginLine)'"
        case .malformedHeader(let reason):
            return "malformed age header: \(reason)"
        case .unsupportedRecipients(let types):
            return "the file is encrypted \(Self.kinds(types)): connsync decrypts only X25519 recipients (age1...); "
                + "re-encrypt it with age -r age1..."
        case .noMatchingIdentity(let tried, let recipients):
            return "no identity matches (tried \(Self.count(tried, "identity", "identities")) against the file's "
                + "\(Self.count(recipients, "X25519 recipient", "X25519 recipients"))): is the file encrypted to your "
                + "key? (age-keygen -y KEYFILE prints its recipient)"
        case .headerMACMismatch:
            return "the age header's MAC does not verify: the header was altered or damaged"
        case .damagedPayload(let reason):
            return "the encrypted payload is damaged or truncated: \(reason)"
        case .plaintextTooLarge(let limit):
            return "the decrypted content would be larger than the limit of \(limit) bytes"
        case .badArmor(let reason):
            return "malformed armored age file: \(reason)"
        }
    }

    private static func count(_ number: Int, _ singular: String, _ plural: String) -> String {
        "\(number) \(number == 1 ? singular : plural)"
    }

    private static func kinds(_ types: [String]) -> String {
        let kinds = types.prefix(8).map { type -> String in
            switch type {
            case "scrypt": return "with a passphrase (scrypt)"
            case "ssh-ed25519", "ssh-rsa": return "to an SSH key (\(type))"
            default: return "to an age plugin (stanza type \(type))"
            }
        }
        return kinds.joined(separator: " and ") + (types.count > 8 ? " and others" : "")
    }
}
