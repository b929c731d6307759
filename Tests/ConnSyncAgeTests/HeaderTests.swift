import ConnSyncAge
import Foundation
import TestSupport
import Testing

/// A binary age file as its header's lines (up to and including the MAC line, without
/// newlines) and its payload, to edit a real file's header by hand.
struct EditableFile {
    var lines: [String]
    var payload: Data

    init(_ file: Data) throws {
        let parts = try split(file)
        lines = parts.header.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        payload = parts.payload
    }

    var data: Data { Data((lines.joined(separator: "\n") + "\n").utf8) + payload }
}

/// A stanza line and its body wrapped as age wraps it (64 columns, the last line shorter).
func stanza(_ arguments: String, body: [UInt8]) -> [String] {
    let encoded = Array(rawBase64(body))
    let lines = stride(from: 0, through: encoded.count, by: 64).map { String(encoded[$0..<min($0 + 64, encoded.count)]) }
    return ["-> " + arguments] + lines
}

extension AgeTools {
    /// The error for a file age wrote to a fresh key once `edit` changed its header by hand;
    /// `age -d` must refuse the edited file too.
    func refusal(afterEditing edit: (inout EditableFile) -> Void, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> AgeError?
    {
        let key = try await key()
        var file = try EditableFile(try await encrypt("edited by hand", to: key))
        edit(&file)
        return try await refusal(file.data, key: key, sourceLocation: sourceLocation)
    }
}

/// An scrypt stanza as age writes one: a 16-byte salt, the work factor, a 32-byte body.
let scryptStanza = stanza("scrypt \(rawBase64(Array(repeating: 7, count: 16))) 18", body: [UInt8](pattern(32)))

/// Recipient types connsync does not decrypt, and headers age itself refuses.
extension AgeTests {
    @Test func aPassphraseFileIsRefusedAsSuch() async throws {
        try await AgeTools.with { tools in
            let error = try await tools.refusal { $0.lines[1...2] = scryptStanza[...] }
            #expect(error == .unsupportedRecipients(types: ["scrypt"]))
            #expect(error?.description.contains("encrypted with a passphrase (scrypt): connsync decrypts only X25519 recipients") == true)
        }
    }

    @Test func anScryptStanzaMustBeAlone() async throws {
        try await AgeTools.with { tools in
            let error = try await tools.refusal { $0.lines.insert(contentsOf: scryptStanza, at: 3) }
            #expect(error == .malformedHeader(reason: "an scrypt (passphrase) stanza must be the only stanza of a file"))
        }
    }

    @Test func aPluginFileIsRefusedWithItsStanzaType() async throws {
        try await AgeTools.with { tools in
            let plugin = stanza("piv-p256 1mxSxQ \(rawBase64([UInt8](pattern(33))))", body: [UInt8](pattern(32)))
            let error = try await tools.refusal { $0.lines[1...2] = plugin[...] }
            #expect(error == .unsupportedRecipients(types: ["piv-p256"]))
            #expect(error?.description.contains("to an age plugin (stanza type piv-p256)") == true)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen")))
    func sshStanzasAreSkippedOrRefused() async throws {
        try await AgeTools.with { tools in
            let key = try await tools.key()
            let sshKey = tools.directory.url.appendingPathComponent("ssh").path
            let made = try await runProcess("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", sshKey])
            try #require(made.status == 0, "\(made)")
            let sshRecipient = try String(contentsOfFile: sshKey + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            // The ssh-ed25519 stanza comes first: it is skipped, and the X25519 one decrypts.
            let both = try await tools.encrypt(Data("both".utf8), to: [sshRecipient, key.recipient])
            #expect(try EditableFile(both).lines[1].hasPrefix("-> ssh-ed25519 "))
            #expect(try Age.decrypt(both, identities: [try key.identity], maximumSize: 100) == Data("both".utf8))
            let sshOnly = try await tools.encrypt(Data("ssh".utf8), to: [sshRecipient])
            let error = try await tools.refusal(sshOnly, key: key)
            #expect(error == .unsupportedRecipients(types: ["ssh-ed25519"]))
            #expect(error?.description.contains("to an SSH key (ssh-ed25519)") == true)
        }
    }

    /// Shares whose shared secret is all zeros whatever the key: 0, 1 and a point of order 8.
    @Test(arguments: [
        [UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31),
        hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    ])
    func aLowOrderShareIsRefused(share: [UInt8]) async throws {
        try await AgeTools.with { tools in
            let error = try await tools.refusal { $0.lines[1] = "-> X25519 " + rawBase64(share) }
            #expect(error == .malformedHeader(reason: "an X25519 stanza's share is a low-order point (the shared secret is all zeros)"))
        }
    }

    /// Headers age refuses are refused: a real file, one edit each.
    @Test func headersAgeRefuses() async throws {
        try await AgeTools.with { tools in
            let share = { (file: EditableFile) in String(file.lines[1].dropFirst("-> X25519 ".count)) }
            let edits: [(String, (inout EditableFile) -> Void)] = [
                ("a non-canonical share", { $0.lines[1] = "-> X25519 " + nonCanonical(share($0)) }),
                ("a padded share", { $0.lines[1] += "=" }),
                ("two spaces", { $0.lines[1] = "->  X25519 " + share($0) }),
                ("a trailing space", { $0.lines[1] += " " }),
                ("no share", { $0.lines[1] = "-> X25519" }),
                ("two shares", { $0.lines[1] += " " + share($0) }),
                ("a short share", { $0.lines[1] = "-> X25519 " + rawBase64([UInt8](pattern(31))) }),
                ("a short body", { $0.lines[2] = rawBase64([UInt8](pattern(31))) }),
                ("a long body", { $0.lines[2] = rawBase64([UInt8](pattern(33))) }),
                ("a body line of 65 columns", { $0.lines[2] = String(repeating: "A", count: 65) }),
                ("a full last body line", { $0.lines[2] = String(repeating: "A", count: 64) }),
                ("no stanza", { $0.lines.removeSubrange(1...2) }),
                ("CRLF", { $0.lines = $0.lines.map { $0 + "\r" } }),
                ("an unknown line", { $0.lines.insert("#", at: 1) }),
                ("no MAC", { $0.lines[3] = "---" }),
                ("a short MAC", { $0.lines[3] = "--- AAAA" }),
                ("a padded MAC", { $0.lines[3] += "=" }),
            ]
            for (name, edit) in edits {
                let error = try await tools.refusal(afterEditing: edit)
                guard case .malformedHeader? = error else { Issue.record("\(name): \(String(describing: error))"); continue }
            }
        }
    }

    /// An unknown stanza is skipped (the X25519 one still unwraps the key), and as the MAC
    /// covers it, inserting one makes the MAC fail.
    @Test func anUnknownStanzaIsSkippedAndCoveredByTheMAC() async throws {
        try await AgeTools.with { tools in
            let grease = stanza("grease-x (+- a", body: [UInt8](pattern(100)))
            let error = try await tools.refusal { $0.lines.insert(contentsOf: grease, at: 1) }
            #expect(error == .headerMACMismatch)
        }
    }

    @Test func theHeaderSizeAndStanzaCountAreCapped() async throws {
        try await AgeTools.with { tools in
            let many = try await tools.refusal { $0.lines.insert(contentsOf: (0..<1025).flatMap { _ in stanza("x", body: []) }, at: 1) }
            #expect(many == .malformedHeader(reason: "it has more than 1024 recipient stanzas"))
            let large = try await tools.refusal { $0.lines.insert(contentsOf: stanza("x", body: [UInt8](pattern(70_000))), at: 1) }
            #expect(large == .malformedHeader(reason: "it is longer than 64 KiB"))
        }
    }
}

/// The bytes of a hex string.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}
