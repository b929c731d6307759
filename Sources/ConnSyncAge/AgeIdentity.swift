import Crypto
import Foundation

/// An X25519 identity: the secret key of an `AGE-SECRET-KEY-1...` line.
///
/// Its ``description`` and mirror show only the public ``recipient``; the secret key stays
/// in swift-crypto's key type (zeroed when freed) and is never rendered as text.
/// `@unchecked Sendable`: the stored values are immutable after `init`, and swift-crypto
/// 3.x does not mark its key types `Sendable` although they are immutable values.
public struct AgeIdentity: @unchecked Sendable, CustomStringConvertible, CustomReflectable {
    private let privateKey: Curve25519.KeyAgreement.PrivateKey
    private let publicKey: [UInt8]

    /// The public recipient of this identity (`age1...`, lower case), as `age-keygen -y` prints it.
    public let recipient: String

    /// The identity of one `AGE-SECRET-KEY-1...` string, upper case as age-keygen writes it
    /// (age refuses the lower-case form too). Throws ``AgeError/invalidIdentity(line:reason:)``
    /// with a nil line; the reason never quotes the string.
    public init(parsing text: String) throws(AgeError) {
        let scalar: [UInt8]
        do {
            scalar = try Self.scalar(of: text)
        } catch let problem {
            throw .invalidIdentity(line: nil, reason: problem.reason)
        }
        do {
            privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: scalar)
        } catch {
            throw .invalidIdentity(line: nil, reason: Problem.keyLength.reason)
        }
        publicKey = Array(privateKey.publicKey.rawRepresentation)
        recipient = Bech32.encode(humanReadablePart: "age", data: publicKey)
    }

    public var description: String { "age identity for \(recipient)" }

    public var customMirror: Mirror { Mirror(self, children: ["recipient": recipient]) }

    /// The 16-byte file key an X25519 stanza (ephemeral `share`, `body` of 32 bytes) wraps for
    /// this identity, or nil when it is wrapped for another key. Throws
    /// ``AgeError/malformedHeader(reason:)`` for a low-order share (an all-zero shared secret).
    func unwrap(share: [UInt8], body: [UInt8]) throws(AgeError) -> SymmetricKey? {
        let secret: SharedSecret
        do {
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
            secret = try privateKey.sharedSecretFromKeyAgreement(with: peer)
        } catch {
            throw .malformedHeader(reason: "an X25519 stanza's share is not a Curve25519 point")
        }
        // Constant time: OR every byte together, then test once.
        let allZero = secret.withUnsafeBytes { bytes in bytes.reduce(UInt8(0)) { $0 | $1 } } == 0
        guard !allZero else {
            throw .malformedHeader(reason: "an X25519 stanza's share is a low-order point (the shared secret is all zeros)")
        }
        let wrappingKey = secret.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: share + publicKey, sharedInfo: Array("age-encryption.org/v1/X25519".utf8),
            outputByteCount: 32)
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)), ciphertext: body[0..<16],
                tag: body[16..<32])
            return SymmetricKey(data: try ChaChaPoly.open(box, using: wrappingKey))
        } catch {
            return nil
        }
    }

    /// Why a string is not an X25519 secret key; ``reason`` is a phrase for an error message.
    enum Problem: Error {
        case tooLong
        case whitespace
        case recipient
        case plugin
        case ssh
        case bech32(Bech32.Problem)
        case lowerCase
        case notSecretKey
        case keyLength

        var reason: String {
            switch self {
            case .tooLong: return "the line is far longer than an age secret key"
            case .whitespace: return "it has leading or trailing whitespace"
            case .recipient:
                return "it is a public key (a recipient, age1...), not a secret key: use the AGE-SECRET-KEY-1... line"
            case .plugin: return "it is a plugin identity (AGE-PLUGIN-...): connsync supports only X25519 secret keys"
            case .ssh: return "it is an SSH key: connsync supports only X25519 secret keys (AGE-SECRET-KEY-1...)"
            case .bech32(let problem): return problem.reason
            case .lowerCase: return "it is in lower case: write it in upper case, as age-keygen does"
            case .notSecretKey: return "it does not start with AGE-SECRET-KEY-1"
            case .keyLength: return "it does not hold a 32-byte X25519 key"
            }
        }
    }

    /// The 32 key bytes of an `AGE-SECRET-KEY-1...` string.
    private static func scalar(of text: String) throws(Problem) -> [UInt8] {
        guard text.utf8.count <= 1024 else { throw .tooLong }
        guard text.trimmingCharacters(in: .whitespacesAndNewlines).utf8.count == text.utf8.count else {
            throw .whitespace
        }
        if text.hasPrefix("age1") { throw .recipient }
        if text.uppercased().hasPrefix("AGE-PLUGIN-") { throw .plugin }
        if text.hasPrefix("ssh-") || text.hasPrefix("-----BEGIN") { throw .ssh }
        let decoded: (humanReadablePart: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch let problem {
            throw .bech32(problem)
        }
        if decoded.humanReadablePart == "age-secret-key-" { throw .lowerCase }
        guard decoded.humanReadablePart == "AGE-SECRET-KEY-" else { throw .notSecretKey }
        guard decoded.data.count == 32 else { throw .keyLength }
        return decoded.data
    }
}
