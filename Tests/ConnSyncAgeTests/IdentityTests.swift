import ConnSyncAge
import Foundation
import TestSupport
import Testing

/// Identity files and keys as age-keygen writes them, and what is refused, without leaks.
extension AgeTests {
    @Test func theRecipientIsWhatAgeKeygenPrints() async throws {
        try await AgeTools.with { tools in
            for _ in 0..<3 {
                let key = try await tools.key()
                let identity = try key.identity
                #expect(identity.recipient == key.recipient)
                #expect(identity.recipient.hasPrefix("age1"))
                let fromFile = try Age.identities(fromFile: try String(contentsOf: key.file, encoding: .utf8))
                #expect(fromFile.map(\.recipient) == [key.recipient])
            }
        }
    }

    /// A bad line among good ones: refused with its line number and a reason, as age refuses it.
    @Test func malformedIdentityLines() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let other = try await tools.key()
            let secret = key.secret
            let cases: [(line: String, reason: String)] = [
                (secret.lowercased(), "lower case"),
                ("a" + secret.dropFirst(), "mixes upper and lower case"),
                (String(secret.dropLast()) + (secret.last == "Q" ? "P" : "Q"), "checksum does not match"),
                (String(secret.prefix(30)) + (secret.dropFirst(30).first == "Q" ? "P" : "Q") + secret.dropFirst(31), "checksum"),
                (String(secret.dropLast(10)), "checksum"),
                (secret + " ", "whitespace"),
                (" " + secret, "whitespace"),
                (key.recipient, "public key"),
                (key.recipient.uppercased(), "does not start with AGE-SECRET-KEY-1"),
                ("AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQ", "plugin identity"),
                ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG", "SSH key"),
                ("-----BEGIN OPENSSH PRIVATE KEY-----", "SSH key"),
                ("hello", "not Bech32"),
                ("AGE-SECRET-KEY-1" + String(repeating: "Q", count: 2000), "far longer"),
                ("AGE-SECRET-KEY-1É" + secret.dropFirst(17), "character"),
            ]
            for (line, reason) in cases {
                let text = "# created: today\n\n" + other.secret + "\n" + line + "\n"
                let error = ageError { try Age.identities(fromFile: text) }
                guard case .invalidIdentity(line: 4, let said)? = error, said.contains(reason) else {
                    Issue.record("\(reason): \(String(describing: error))")
                    continue
                }
                let message = error?.description ?? ""
                #expect(leakedSecrets(in: message, secrets: [line, secret, other.secret]) == [])
                let file = try await tools.encrypt("x", to: other)
                #expect(try await tools.ageDecrypt(file, identityFile: try tools.write(text)) == nil, "\(reason)")
            }
        }
    }

    @Test func bech32WithABadChecksum() async throws {
        try await AgeTools.with { tools in
            let secret = try await tools.key().secret
            // Every character of the data part replaced by another: the checksum catches each.
            let alphabet = Array("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
            var characters = Array(secret)
            for index in "AGE-SECRET-KEY-1".count..<characters.count {
                let original = characters[index]
                characters[index] = alphabet[(alphabet.firstIndex(of: original)! + 1) % alphabet.count]
                let error = ageError { try AgeIdentity(parsing: String(characters)) }
                #expect(error == .invalidIdentity(line: nil, reason: "its Bech32 checksum does not match (a typo, or a truncated key?)"))
                characters[index] = original
            }
            #expect(try AgeIdentity(parsing: String(characters)).recipient.hasPrefix("age1"))
        }
    }

    @Test(arguments: ["", "\n", "# only a comment\n\n   \n", "# AGE-SECRET-KEY-1 commented out\n"])
    func noIdentities(text: String) {
        #expect(ageError { try Age.identities(fromFile: text) } == .noIdentities)
    }

    /// Neither an identity's description nor any error shows the secret key or the plaintext.
    @Test func noDescriptionLeaksAKeyOrThePlaintext() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let stranger = try await tools.key()
            let identity = try key.identity
            let plaintext = "TOP-SECRET-PLAINTEXT-0123456789"
            let file = try await tools.encrypt(plaintext, to: key)
            let armored = try await tools.encrypt(plaintext, to: key, armor: true)
            let renderings = [String(describing: identity), String(reflecting: identity), "\(identity)", dumped(identity)]
            var errors: [AgeError?] = [
                ageError { try Age.decrypt(file, identities: [try stranger.identity], maximumSize: 100) },
                ageError { try Age.decrypt(file, identities: [identity], maximumSize: 3) },
                ageError { try Age.decrypt(file.prefix(file.count - 1), identities: [identity], maximumSize: 100) },
                ageError { try Age.decrypt(file.flipping(file.count - 20), identities: [identity], maximumSize: 100) },
                ageError { try Age.decrypt(file + Data(plaintext.utf8), identities: [identity], maximumSize: 100) },
                ageError { try Age.decrypt(armored + Data(plaintext.utf8), identities: [identity], maximumSize: 100) },
                ageError { try Age.decrypt(Data(plaintext.utf8), identities: [identity], maximumSize: 100) },
                ageError { try Age.identities(fromFile: key.secret.lowercased()) },
                ageError { try Age.identities(fromFile: key.secret + "x") },
                ageError { try AgeIdentity(parsing: String(key.secret.dropLast())) },
            ]
            errors.append(ageError { try Age.identities(fromFile: plaintext) })
            #expect(errors.allSatisfy { $0 != nil })
            let secrets = [plaintext, key.secret, key.secret.lowercased(), String(key.secret.dropFirst(16).prefix(20))]
            for text in renderings + errors.map({ $0?.description ?? "" }) {
                #expect(leakedSecrets(in: text, secrets: secrets) == [], "\(text)")
            }
            #expect(renderings[0].contains(key.recipient))
        }
    }
}

/// What `dump` prints of `value`.
private func dumped(_ value: some Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}
