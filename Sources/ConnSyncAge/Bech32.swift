/// Bech32 (BIP 173, the original checksum constant 1, not Bech32m) as age uses it for keys:
/// no overall length limit (age lifts BIP 173's 90), one case throughout, 8-bit data
/// regrouped from 5-bit groups without padding bits left over.
enum Bech32 {
    /// What makes a string not Bech32; ``reason`` is a phrase for an error message.
    enum Problem: Error {
        case mixedCase
        case separator
        case invalidCharacter
        case checksum
        case padding

        var reason: String {
            switch self {
            case .mixedCase: return "it mixes upper and lower case"
            case .separator: return "it is not Bech32 (no '1' separator followed by a checksum)"
            case .invalidCharacter: return "it has a character that Bech32 does not use"
            case .checksum: return "its Bech32 checksum does not match (a typo, or a truncated key?)"
            case .padding: return "its Bech32 data does not end on a whole byte"
            }
        }
    }

    private static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    /// The human-readable part (in the case of `text`) and the data bytes of `text`.
    static func decode(_ text: String) throws(Problem) -> (humanReadablePart: String, data: [UInt8]) {
        let characters = Array(text.utf8)
        let hasLower = characters.contains { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        let hasUpper = characters.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        guard let separator = characters.lastIndex(of: UInt8(ascii: "1")), separator >= 1,
            separator + 7 <= characters.count
        else { throw .separator }
        let lowered = characters.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
        let prefix = lowered[..<separator]
        guard prefix.allSatisfy({ (33...126).contains($0) }) else { throw .invalidCharacter }
        var groups: [UInt8] = []
        groups.reserveCapacity(characters.count - separator - 1)
        for character in lowered[(separator + 1)...] {
            guard let group = alphabet.firstIndex(of: character) else { throw .invalidCharacter }
            groups.append(UInt8(group))
        }
        guard polymod(expand(prefix) + groups) == 1 else { throw .checksum }
        guard let data = regroup(groups.dropLast(6), from: 5, to: 8, pad: false) else { throw .padding }
        return (String(decoding: characters[..<separator], as: UTF8.self), data)
    }

    /// The lower-case Bech32 string of `data` under the (lower-case) `humanReadablePart`.
    static func encode(humanReadablePart: String, data: [UInt8]) -> String {
        let prefix = Array(humanReadablePart.utf8)
        // Regrouping 8-bit bytes into 5-bit groups with padding cannot fail.
        let groups = regroup(data[...], from: 8, to: 5, pad: true) ?? []
        let checksummed = polymod(expand(prefix[...]) + groups + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((checksummed >> (5 * (5 - UInt32($0)))) & 31) }
        let characters = (groups + checksum).map { alphabet[Int($0)] }
        return humanReadablePart + "1" + String(decoding: characters, as: UTF8.self)
    }

    /// The human-readable part as the checksum covers it: high bits, a zero, low bits.
    private static func expand(_ prefix: ArraySlice<UInt8>) -> [UInt8] {
        prefix.map { $0 >> 5 } + [0] + prefix.map { $0 & 31 }
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 {
                checksum ^= generator[bit]
            }
        }
        return checksum
    }

    /// `values` of `from` bits each as groups of `to` bits; without `pad`, nil when whole
    /// groups do not use up the bits (a group or more left over, or non-zero padding bits).
    private static func regroup(_ values: ArraySlice<UInt8>, from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator: UInt32 = 0
        var bits = 0
        let mask: UInt32 = (1 << UInt32(to)) - 1
        var output: [UInt8] = []
        output.reserveCapacity(values.count * from / to + 1)
        for value in values {
            accumulator = (accumulator << UInt32(from) | UInt32(value)) & 0xFFFF
            bits += from
            while bits >= to {
                bits -= to
                output.append(UInt8((accumulator >> UInt32(bits)) & mask))
            }
        }
        if pad {
            if bits > 0 { output.append(UInt8((accumulator << UInt32(to - bits)) & mask)) }
        } else if bits >= from || (accumulator << UInt32(to - bits)) & mask != 0 {
            return nil
        }
        return output
    }
}
