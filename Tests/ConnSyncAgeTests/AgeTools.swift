import ConnSyncAge
import Foundation
import TestSupport
import Testing

/// The age decryption tests: every fixture is made by the real `age` and `age-keygen`
/// (Debian's age 1.1.1) in a test's own temporary folder, or built by hand from such a file.
@Suite("age")
struct AgeTests {}

/// A key made by the real age-keygen.
struct GeneratedKey {
    /// The identity file age-keygen wrote (comments and the key line).
    var file: URL
    /// Its `AGE-SECRET-KEY-1...` line.
    var secret: String
    /// Its recipient, as `age-keygen -y` prints it.
    var recipient: String

    var identity: AgeIdentity {
        get throws(AgeError) { try AgeIdentity(parsing: secret) }
    }
}

/// The real age tools, run in one test's temporary folder.
struct AgeTools {
    let directory: TemporaryDirectory

    /// Runs `body` with the tools in a fresh folder, removed afterwards.
    static func with<T>(_ body: (AgeTools) async throws -> T) async throws -> T {
        try await withTemporaryDirectory(prefix: "connsync-age") { try await body(AgeTools(directory: $0)) }
    }

    /// A fresh key from `age-keygen -o`, with its recipient from `age-keygen -y`.
    func key() async throws -> GeneratedKey {
        let file = newFile("key.txt")
        let made = try await runProcess("/usr/bin/age-keygen", ["-o", file.path])
        try #require(made.status == 0, "\(made)")
        let text = try String(contentsOf: file, encoding: .utf8)
        let secret = try #require(text.split(separator: "\n").first { $0.hasPrefix("AGE-SECRET-KEY-1") })
        let shown = try await runProcess("/usr/bin/age-keygen", ["-y", file.path])
        try #require(shown.status == 0, "\(shown)")
        return GeneratedKey(
            file: file, secret: String(secret), recipient: shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `plaintext` encrypted by `age -r ...` (with `-a` when `armor`).
    func encrypt(_ plaintext: Data, to recipients: [String], armor: Bool = false) async throws -> Data {
        let input = newFile("plain")
        let output = newFile("age")
        try plaintext.write(to: input)
        let arguments = recipients.flatMap { ["-r", $0] } + (armor ? ["-a"] : []) + ["-o", output.path, input.path]
        let result = try await runProcess("/usr/bin/age", arguments)
        try #require(result.status == 0, "\(result)")
        return try Data(contentsOf: output)
    }

    /// `text` encrypted by age to `key`.
    func encrypt(_ text: String, to key: GeneratedKey, armor: Bool = false) async throws -> Data {
        try await encrypt(Data(text.utf8), to: [key.recipient], armor: armor)
    }

    /// What `age -d -i identityFile` makes of `encrypted`, or nil when age refuses it.
    func ageDecrypt(_ encrypted: Data, identityFile: URL) async throws -> Data? {
        let input = newFile("age")
        let output = newFile("out")
        try encrypted.write(to: input)
        let result = try await runProcess("/usr/bin/age", ["-d", "-i", identityFile.path, "-o", output.path, input.path])
        // age creates its output file only once it writes to it: an empty plaintext, no file.
        return result.status == 0 ? (try? Data(contentsOf: output)) ?? Data() : nil
    }

    /// The error connsync gives for `file` with `key`'s identity; `age -d` must refuse it too.
    func refusal(_ file: Data, key: GeneratedKey, sourceLocation: SourceLocation = #_sourceLocation) async throws -> AgeError? {
        let identity = try key.identity
        let error = ageError({ try Age.decrypt(file, identities: [identity], maximumSize: 1 << 20) }, sourceLocation: sourceLocation)
        #expect(try await ageDecrypt(file, identityFile: key.file) == nil, "age decrypts it", sourceLocation: sourceLocation)
        return error
    }

    /// A file of `text` in the folder.
    func write(_ text: String) throws -> URL {
        let file = newFile("txt")
        try Data(text.utf8).write(to: file)
        return file
    }

    private func newFile(_ suffix: String) -> URL {
        directory.url.appendingPathComponent("\(UUID().uuidString).\(suffix)")
    }
}

/// `count` deterministic bytes, no two neighbouring 64 KiB chunks alike.
func pattern(_ count: Int) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 16 &+ 7) })
}

/// The AgeError `body` throws, or nil (and a recorded issue) when it returns or throws another.
func ageError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> AgeError? {
    do {
        let value = try body()
        Issue.record("expected an AgeError, got \(type(of: value))", sourceLocation: sourceLocation)
        return nil
    } catch let error as AgeError {
        return error
    } catch {
        Issue.record("expected an AgeError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Unpadded standard base64, as age writes its header.
func rawBase64(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "")
}

/// A binary age file's header (up to and including the MAC line) and payload.
func split(_ file: Data) throws -> (header: String, payload: Data) {
    let bytes = [UInt8](file)
    let marker = Array("\n--- ".utf8)
    let start = try #require((0..<bytes.count).first { bytes[$0...].starts(with: marker) })
    let end = try #require(bytes[(start + 1)...].firstIndex(of: UInt8(ascii: "\n")))
    return (String(decoding: bytes[...end], as: UTF8.self), Data(bytes[(end + 1)...]))
}

extension Data {
    /// A copy with the byte at `index` XORed with `mask`.
    func flipping(_ index: Int, mask: UInt8 = 0x01) -> Data {
        var copy = self
        copy[copy.startIndex + index] ^= mask
        return copy
    }
}
