import ConnSyncAge
import Foundation
import TestSupport
import Testing

/// Wrong keys, damage, truncation and trailing data: each an error, never plaintext.
extension AgeTests {
    @Test func aWrongKeySaysHowManyIdentitiesWereTried() async throws {
        try await AgeTools.with { tools in
            let owner = try await tools.key()
            let strangers = [try await tools.key(), try await tools.key()]
            let file = try await tools.encrypt("not yours", to: owner)
            let error = ageError { try Age.decrypt(file, identities: try strangers.map { try $0.identity }, maximumSize: 100) }
            #expect(error == .noMatchingIdentity(tried: 2, recipients: 1))
            #expect(error?.description.contains("tried 2 identities") == true)
            #expect(ageError { try Age.decrypt(file, identities: [], maximumSize: 100) } == .noMatchingIdentity(tried: 0, recipients: 1))
            #expect(try await tools.ageDecrypt(file, identityFile: strangers[0].file) == nil)
        }
    }

    /// A bit flipped anywhere in a file (intro, stanza, MAC, nonce, chunk) makes it an error.
    @Test func everyFlippedBitIsAnError() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let identity = try key.identity
            let file = try await tools.encrypt("flip me", to: key)
            for index in 0..<file.count {
                for mask in [0x01, 0x80] as [UInt8] {
                    let damaged = file.flipping(index, mask: mask)
                    #expect(ageError { try Age.decrypt(damaged, identities: [identity], maximumSize: 100) } != nil, "byte \(index)")
                }
            }
        }
    }

    @Test func aDamagedPayloadByte() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let file = try await tools.encrypt(pattern(150_000), to: [key.recipient])
            let payload = try split(file).payload
            let headerSize = file.count - payload.count
            // In the nonce, in the first chunk, in the last chunk's tag.
            for offset in [3, 16 + 1000, payload.count - 1] {
                let error = try await tools.refusal(file.flipping(headerSize + offset), key: key)
                guard case .damagedPayload? = error else { Issue.record("\(String(describing: error))"); continue }
            }
        }
    }

    @Test func aDamagedHeaderFailsItsMAC() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let other = try await tools.key()
            let file = try await tools.encrypt(Data("header".utf8), to: [key.recipient, other.recipient])
            let lines = try split(file).header.split(separator: "\n", omittingEmptySubsequences: false)
            // Line 3 and 4 are the other recipient's stanza, line 5 the MAC: each still parses
            // (another character of the alphabet, not the last of its group) but is not what
            // the MAC covers, while the key's own stanza still unwraps the file key.
            let lineStart = { (line: Int) in lines[..<line].reduce(0) { $0 + $1.utf8.count + 1 } }
            for offset in [lineStart(3) + "-> X25519 ".count + 4, lineStart(4) + 4, lineStart(5) + "--- ".count + 4] {
                #expect(try await tools.refusal(replacingCharacter(at: offset, in: file), key: key) == .headerMACMismatch)
            }
        }
    }

    @Test func aTruncatedFile() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let file = try await tools.encrypt(pattern(65_536 * 2 + 5), to: [key.recipient])
            let headerSize = file.count - (try split(file).payload.count)
            let cuts = [30, headerSize - 5, headerSize, headerSize + 16, headerSize + 16 + 65_552, file.count - 1]
            for cut in cuts {
                switch try await tools.refusal(file.prefix(cut), key: key) {
                case .malformedHeader?: #expect(cut < headerSize, "cut at \(cut)")
                case .damagedPayload?: #expect(cut >= headerSize, "cut at \(cut)")
                case let error: Issue.record("cut at \(cut): \(String(describing: error))")
                }
            }
            let atChunkEnd = try await tools.refusal(file.prefix(headerSize + 16 + 65_552), key: key)
            #expect(atChunkEnd == .damagedPayload(reason: "the file ends after a chunk that is not the last (it is truncated)"))
        }
    }

    @Test(arguments: [5, 65_536])
    func trailingGarbage(size: Int) async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let file = try await tools.encrypt(pattern(size), to: [key.recipient])
            for garbage in [Data([0]), Data("trailing\n".utf8), pattern(65_552)] {
                let error = try await tools.refusal(file + garbage, key: key)
                guard case .damagedPayload? = error else { Issue.record("\(String(describing: error))"); continue }
            }
            let armored = try await tools.encrypt(pattern(size), to: [key.recipient], armor: true)
            let afterEnd = try await tools.refusal(armored + Data("x\n".utf8), key: key)
            #expect(afterEnd == .badArmor(reason: "data follows its END line"))
        }
    }

    @Test(arguments: ["", "password: hunter2\n", "age-encryption.org", "AGE-SECRET-KEY-1", "\u{FEFF}age-encryption.org/v1\n"])
    func notAnAgeFile(text: String) {
        #expect(ageError { try Age.decrypt(Data(text.utf8), identities: [], maximumSize: 100) } == .notAgeFile)
    }

    @Test(arguments: ["age-encryption.org/v2\n", "age-encryption.org/v1", "age-encryption.org/v1\r\n"])
    func anotherVersionOrACutIntroIsAMalformedHeader(text: String) {
        let error = ageError { try Age.decrypt(Data(text.utf8), identities: [], maximumSize: 100) }
        guard case .malformedHeader = error else { Issue.record("\(String(describing: error))"); return }
    }

    @Test func badArmor() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let armored = String(decoding: try await tools.encrypt(pattern(101), to: [key.recipient], armor: true), as: UTF8.self)
            var lines = armored.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let cases: [(text: String, reason: String)] = [
                (armored.replacingOccurrences(of: "-----END AGE ENCRYPTED FILE-----\n", with: ""), "ends before"),
                (armored.replacingOccurrences(of: lines[1] + "\n", with: lines[1] + "\n\n"), "short line"),
                (([lines[0], lines[1] + lines[2]] + lines[3...]).joined(separator: "\n"), "64 columns"),
                (" " + armored, "first line"),
            ]
            for (text, reason) in cases {
                let error = try await tools.refusal(Data(text.utf8), key: key)
                guard case .badArmor(let said)? = error, said.contains(reason) else {
                    Issue.record("\(reason): \(String(describing: error))")
                    continue
                }
            }
            // More than 1 KiB of whitespace before it: not taken for an armored file at all.
            let farDown = Data((String(repeating: "\n", count: 1100) + armored).utf8)
            #expect(!Age.isEncrypted(farDown))
            #expect(ageError { try Age.decrypt(farDown, identities: [try key.identity], maximumSize: 1000) } == .notAgeFile)
            // Base64 that is not canonical: the last line's unused bits set.
            let last = lines.count - 3
            lines[last] = nonCanonical(lines[last])
            let nonCanonicalFile = Data(lines.joined(separator: "\n").utf8)
            #expect(try await tools.refusal(nonCanonicalFile, key: key) == .badArmor(reason: "a line is not canonical padded base64"))
        }
    }
}

/// `file` with the base64 character at `offset` replaced by another one of the alphabet.
func replacingCharacter(at offset: Int, in file: Data) -> Data {
    var copy = file
    copy[copy.startIndex + offset] = copy[copy.startIndex + offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    return copy
}

/// `line` (base64 ending in a partial group) with the last character's unused bits set.
func nonCanonical(_ line: String) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var characters = Array(line)
    let lastIndex = characters.lastIndex { $0 != "=" }!
    let value = alphabet.firstIndex(of: characters[lastIndex])!
    characters[lastIndex] = alphabet[value | 1]
    return String(characters)
}
