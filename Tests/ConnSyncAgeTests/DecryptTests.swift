import ConnSyncAge
import Foundation
import TestSupport
import Testing

/// Files the real age wrote decrypt to exactly what `age -d` gives, and to the original.
extension AgeTests {
    @Test(arguments: [false, true])
    func decryptsWhatAgeEncrypted(armor: Bool) async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let plaintext = Data("password: correct horse battery staple\n".utf8)
            let file = try await tools.encrypt(plaintext, to: [key.recipient], armor: armor)
            #expect(Age.isEncrypted(file))
            let decrypted = try Age.decrypt(file, identities: [try key.identity], maximumSize: 1 << 20)
            #expect(decrypted == plaintext)
            #expect(try await tools.ageDecrypt(file, identityFile: key.file) == decrypted)
        }
    }

    @Test func aFileWithSeveralRecipientsDecryptsWithEachKey() async throws {
        try await AgeTools.with { tools in
            let keys = [try await tools.key(), try await tools.key(), try await tools.key()]
            let plaintext = pattern(1000)
            let file = try await tools.encrypt(plaintext, to: keys.map(\.recipient))
            for key in keys {
                #expect(try Age.decrypt(file, identities: [try key.identity], maximumSize: 1000) == plaintext)
                #expect(try await tools.ageDecrypt(file, identityFile: key.file) == plaintext)
            }
        }
    }

    @Test(arguments: ["\n", "\r\n"])
    func anIdentityFileWithSeveralKeysAndCommentsFindsTheMatchingOne(newline: String) async throws {
        try await AgeTools.with { tools in
            let others = [try await tools.key(), try await tools.key()]
            let matching = try await tools.key()
            let file = try await tools.encrypt("the secret", to: matching)
            var text = "# connsync keys\n\n"
            for key in [others[0], matching, others[1]] {
                text += try String(contentsOf: key.file, encoding: .utf8) + "\n"
            }
            text = text.replacingOccurrences(of: "\n", with: newline)
            let identities = try Age.identities(fromFile: text)
            #expect(identities.map(\.recipient) == [others[0], matching, others[1]].map(\.recipient))
            #expect(try Age.decrypt(file, identities: identities, maximumSize: 100) == Data("the secret".utf8))
            #expect(try await tools.ageDecrypt(file, identityFile: try tools.write(text)) == Data("the secret".utf8))
        }
    }

    @Test(arguments: [false, true])
    func anEmptyPlaintext(armor: Bool) async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let file = try await tools.encrypt(Data(), to: [key.recipient], armor: armor)
            #expect(try Age.decrypt(file, identities: [try key.identity], maximumSize: 0) == Data())
            #expect(try await tools.ageDecrypt(file, identityFile: key.file) == Data())
        }
    }

    /// Chunks are 64 KiB: exactly one full (last) chunk, one byte into a second chunk, several.
    @Test(arguments: [65_536, 65_537, 131_072, 200_000])
    func plaintextsAroundAndAcrossChunks(size: Int) async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let plaintext = pattern(size)
            for armor in [false, true] {
                let file = try await tools.encrypt(plaintext, to: [key.recipient], armor: armor)
                let decrypted = try Age.decrypt(file, identities: [try key.identity], maximumSize: size)
                #expect(decrypted == plaintext)
                #expect(try await tools.ageDecrypt(file, identityFile: key.file) == decrypted)
            }
        }
    }

    @Test func theSizeLimitIsCheckedBeforeDecrypting() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let file = try await tools.encrypt(pattern(200_000), to: [key.recipient])
            let identity = try key.identity
            #expect(ageError { try Age.decrypt(file, identities: [identity], maximumSize: 199_999) } == .plaintextTooLarge(limit: 199_999))
            #expect(ageError { try Age.decrypt(file, identities: [identity], maximumSize: -1) } == .plaintextTooLarge(limit: 0))
            #expect(try Age.decrypt(file, identities: [identity], maximumSize: 200_000).count == 200_000)
        }
    }

    /// CRLF, trailing whitespace and a missing last newline, as age takes them; and, as age's
    /// armor reader (not its 1.1.1 command, which looks for the BEGIN line at byte 0) takes
    /// it, up to 1 KiB of whitespace before the BEGIN line.
    @Test func armorAsAgeToleratesIt() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let armored = String(decoding: try await tools.encrypt("armored", to: key, armor: true), as: UTF8.self)
            let variants = [
                (armored + "\n\n  \t\n", true),
                (armored.replacingOccurrences(of: "\n", with: "\r\n"), true),
                (armored.trimmingCharacters(in: .newlines), true),
                ("\n  \n\t\n" + armored, false),
            ]
            for (variant, ageTakesIt) in variants {
                let data = Data(variant.utf8)
                #expect(Age.isEncrypted(data))
                #expect(try Age.decrypt(data, identities: [try key.identity], maximumSize: 100) == Data("armored".utf8))
                if ageTakesIt {
                    #expect(try await tools.ageDecrypt(data, identityFile: key.file) == Data("armored".utf8))
                }
            }
        }
    }

    @Test func isEncryptedLooksAtTheStartOnly() {
        #expect(Age.isEncrypted(Data("age-encryption.org/v1\n-> X25519".utf8)))
        #expect(Age.isEncrypted(Data("\n\n-----BEGIN AGE ENCRYPTED FILE-----\n".utf8)))
        #expect(!Age.isEncrypted(Data()))
        #expect(!Age.isEncrypted(Data("password: hunter2\n".utf8)))
        #expect(!Age.isEncrypted(Data("age-encryption.org/v2\n".utf8)))
        #expect(!Age.isEncrypted(Data("-----BEGIN PGP MESSAGE-----\n".utf8)))
        #expect(!Age.isEncrypted(Data((String(repeating: " ", count: 2000) + "-----BEGIN AGE ENCRYPTED FILE-----").utf8)))
    }
}
