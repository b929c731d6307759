import ConnSyncModel
import Crypto
import Foundation

/// Keyed hashes (HMAC-SHA256 with the state's random key) of secrets and of
/// whole desired values: what state keeps instead of secrets, and what plan
/// fingerprints are made of. A hash names its connection and field, so the
/// same password at two connections gives two unrelated hashes.
public struct SecretHasher: @unchecked Sendable {
    /// An HMAC already keyed; each hash starts from a copy (copy-on-write state), which
    /// saves deriving the inner and outer keys for every one of thousands of hashes.
    private let keyed: HMAC<SHA256>

    public init(key: [UInt8]) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: key))
    }

    /// Hex HMAC of one secret value of one connection's field.
    public func hash(secret: String, field: FieldPath, of address: Address) -> String {
        hash(parts: ["secret", address.provider, address.name, field.description, secret])
    }

    /// Hex HMAC of arbitrary parts, joined unambiguously.
    public func hash(parts: [String]) -> String {
        var hmac = keyed
        for part in parts { Self.feed(part, into: &hmac) }
        return hexString(hmac.finalize())
    }

    /// Length-prefixed, so that parts cannot run into each other.
    static func feed(_ text: String, into hmac: inout HMAC<SHA256>) {
        var copy = text
        copy.withUTF8 { bytes in
            var length = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { hmac.update(data: $0) }
            hmac.update(data: UnsafeRawBufferPointer(bytes))
        }
    }

    /// A canonical JSON of `value` in which every secret is replaced by its keyed hash:
    /// safe to hash or store, and still different when a secret changes.
    public func canonicalJSON(_ value: Value, of address: Address) -> String {
        value.jsonString(secrets: .replace { path, secret in
            "hmac:" + self.hash(secret: secret.value?.revealed() ?? "", field: path, of: address)
        })
    }

    /// Hex SHA-256 of text that holds no secret in clear (used over canonical JSON).
    public static func digest(_ text: String) -> String {
        hexString(SHA256.hash(data: Data(text.utf8)))
    }
}

/// Lower-case hex of a byte sequence.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var result: [UInt8] = []
    for byte in bytes {
        result.append(digits[Int(byte >> 4)])
        result.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: result, as: UTF8.self)
}
