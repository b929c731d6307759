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
        // One contiguous buffer, one update: HMAC's generic `update(data:)` costs far more
        // per call than the hashing of a short part.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count + 8 })
        for part in parts { Self.append(part, to: &buffer) }
        var hmac = keyed
        buffer.withUnsafeBytes { hmac.update(data: $0) }
        return hmac.finalize().withUnsafeBytes(hexString)
    }

    /// Length-prefixed, so that parts cannot run into each other.
    static func append(_ text: String, to buffer: inout [UInt8]) {
        let count = UInt64(text.utf8.count)
        for shift in stride(from: 56, through: 0, by: -8) { buffer.append(UInt8(truncatingIfNeeded: count >> UInt64(shift))) }
        buffer.append(contentsOf: text.utf8)
    }

    /// A canonical JSON of `value` in which every secret is replaced by its keyed hash:
    /// safe to hash or store, and still different when a secret changes.
    ///
    /// `known` holds hashes already computed for this connection, by path (its description),
    /// so that a secret is not hashed twice.
    public func canonicalJSON(_ value: Value, of address: Address, known: [String: String] = [:]) -> String {
        value.jsonString(secrets: .replace { path, secret in
            "hmac:" + (known[path.description] ?? self.hash(secret: secret.value?.revealed() ?? "", field: path, of: address))
        })
    }

    /// The hash state records of a connection's whole desired view (its `appliedValueHash`);
    /// reached through ``Change/appliedValueHash(_:)``.
    func appliedValueHash(_ view: Value, of address: Address, known: [String: String]) -> String {
        Self.digest(canonicalJSON(view, of: address, known: known))
    }

    /// Hex SHA-256 of text that holds no secret in clear (used over canonical JSON).
    public static func digest(_ text: String) -> String {
        var text = text
        return text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }.withUnsafeBytes(hexString)
    }
}

/// Lower-case hex of bytes.
func hexString(_ bytes: UnsafeRawBufferPointer) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { output in
        let digits: StaticString = "0123456789abcdef"
        let table = UnsafeRawBufferPointer(start: digits.utf8Start, count: 16)
        for (index, byte) in bytes.enumerated() {
            output[2 * index] = table[Int(byte >> 4)]
            output[2 * index + 1] = table[Int(byte & 0x0F)]
        }
        return bytes.count * 2
    }
}
