import ConnSyncConfig
import ConnSyncGit
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// age-encrypted `fromFile` secrets (config-format v1.1), made by the real `age`: decrypted
/// with the identity file given, for a folder and for a git commit; every failure an error
/// naming the document and field, with nothing decrypted shown.
@Suite("Secrets: age-encrypted files")
struct AgeSecretTests {
    static let plaintext = "age-protected-pw-64"

    /// A key from `age-keygen` in `folder`: its identity file and recipient.
    static func key(in folder: TemporaryDirectory, named name: String = "key.txt") async throws -> (file: String, recipient: String) {
        let file = folder.url.appendingPathComponent(name).path
        let made = try await runProcess("/usr/bin/age-keygen", ["-o", file])
        #expect(made.status == 0, "\(made)")
        let recipient = try await runProcess("/usr/bin/age-keygen", ["-y", file]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return (file, recipient)
    }

    /// `plaintext` encrypted to `recipient` by the real age, at `path`.
    static func encrypt(_ plaintext: String, to recipient: String, at path: String, armor: Bool) async throws {
        let made = try await runProcess("/usr/bin/age", (armor ? ["-a"] : []) + ["-r", recipient, "-o", path], stdin: plaintext)
        #expect(made.status == 0, "\(made)")
    }

    static let document = "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: orders}\nspec:\n  password: {fromFile: secrets/orders-pw.age}\n"

    func load(_ source: any DesiredStateSource, identity: String?) -> LoadResult {
        DesiredStateLoader(
            options: LoadOptions(resolveSecrets: true), resolver: StandardSecretResolver(environment: [:], ageIdentityFile: identity),
            vendors: VendorRegistry.standard.catalog
        ).load(from: source)
    }

    static func password(_ result: LoadResult) -> String? {
        result.state?.databases.first?.fields.password?.value?.revealed()
    }

    @Test(arguments: [true, false])
    func anArmoredOrBinaryFileDecryptsToWhatAgeGives(_ armor: Bool) async throws {
        try await withTemporaryDirectory { folder in
            let key = try await Self.key(in: folder)
            let source = TemporaryDirectory(url: folder.url.appendingPathComponent("config"))
            try source.write(Self.document, to: "doc.yaml")
            try FileManager.default.createDirectory(at: source.url.appendingPathComponent("secrets"), withIntermediateDirectories: true)
            let path = source.url.appendingPathComponent("secrets/orders-pw.age").path
            try await Self.encrypt(Self.plaintext + "\n", to: key.recipient, at: path, armor: armor)
            let result = load(DirectorySource(directory: source.path), identity: key.file)
            #expect(result.errors.isEmpty, "\(result.diagnostics)")
            // What age -d gives, less the one trailing newline every reference loses.
            let reference = try await runProcess("/usr/bin/age", ["-d", "-i", key.file, path])
            #expect(reference.stdout == Self.plaintext + "\n")
            #expect(Self.password(result) == Self.plaintext)
        }
    }

    @Test func anIdentityFileWithSeveralKeysFindsTheOneThatFits() async throws {
        try await withTemporaryDirectory { folder in
            let other = try await Self.key(in: folder, named: "other.txt")
            let key = try await Self.key(in: folder)
            let combined = folder.url.appendingPathComponent("identities.txt").path
            try (String(contentsOfFile: other.file, encoding: .utf8) + "\n# the deploy key\n" + String(contentsOfFile: key.file, encoding: .utf8))
                .write(toFile: combined, atomically: true, encoding: .utf8)
            let source = TemporaryDirectory(url: folder.url.appendingPathComponent("config"))
            try source.write(Self.document, to: "doc.yaml")
            try FileManager.default.createDirectory(at: source.url.appendingPathComponent("secrets"), withIntermediateDirectories: true)
            try await Self.encrypt(Self.plaintext, to: key.recipient, at: source.url.appendingPathComponent("secrets/orders-pw.age").path, armor: true)
            #expect(Self.password(load(DirectorySource(directory: source.path), identity: combined)) == Self.plaintext)
        }
    }

    /// No identity, a wrong one, a damaged file: an error naming the document and field, and
    /// never the plaintext.
    @Test func everyFailureNamesTheFieldAndShowsNothingDecrypted() async throws {
        try await withTemporaryDirectory { folder in
            let key = try await Self.key(in: folder)
            let wrong = try await Self.key(in: folder, named: "wrong.txt")
            let source = TemporaryDirectory(url: folder.url.appendingPathComponent("config"))
            try source.write(Self.document, to: "doc.yaml")
            try FileManager.default.createDirectory(at: source.url.appendingPathComponent("secrets"), withIntermediateDirectories: true)
            let path = source.url.appendingPathComponent("secrets/orders-pw.age").path
            try await Self.encrypt(Self.plaintext, to: key.recipient, at: path, armor: false)
            let directory = DirectorySource(directory: source.path)
            var messages: [String] = []
            for identity in [nil, wrong.file, folder.url.appendingPathComponent("missing.txt").path] as [String?] {
                let errors = load(directory, identity: identity).errors
                #expect(errors.map(\.code) == ["unresolved-secret"])
                #expect(errors.first?.field == "spec.password" && errors.first?.document?.name == "orders")
                messages.append(errors.first?.message ?? "")
            }
            #expect(messages[0].contains("is age-encrypted: give the identity file with --age-identity FILE or CONNSYNC_AGE_IDENTITY"))
            #expect(messages[1].contains("cannot decrypt secret file secrets/orders-pw.age: no identity matches"), "\(messages[1])")
            #expect(messages[2].contains("cannot use the age identity file"))
            // A damaged byte of the payload.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count - 5] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            let damaged = load(directory, identity: key.file).errors
            #expect(damaged.first?.message.contains("cannot decrypt secret file secrets/orders-pw.age: the encrypted payload is damaged") == true, "\(damaged)")
            for message in messages + damaged.map(\.description) { #expect(!message.contains(Self.plaintext)) }
        }
    }

    /// Committed next to the YAML, the encrypted file is read from the commit.
    @Test func anAgeFileInAGitCommitDecrypts() async throws {
        try await withTemporaryDirectory { folder in
            let key = try await Self.key(in: folder)
            let repository = TemporaryDirectory(url: folder.url.appendingPathComponent("repo"))
            _ = try await git(["init", "-q", "-b", "main"], in: repository.path)
            try repository.write(Self.document, to: "deploy/doc.yaml")
            try FileManager.default.createDirectory(at: repository.url.appendingPathComponent("deploy/secrets"), withIntermediateDirectories: true)
            try await Self.encrypt(Self.plaintext, to: key.recipient, at: repository.url.appendingPathComponent("deploy/secrets/orders-pw.age").path, armor: true)
            _ = try await git(["add", "-A"], in: repository.path)
            _ = try await git(["-c", "user.name=t", "-c", "user.email=t@connsync.invalid", "commit", "-q", "-m", "secrets"], in: repository.path)
            // The work tree's copy is gone: only the commit holds it.
            try FileManager.default.removeItem(at: repository.url.appendingPathComponent("deploy/secrets"))
            let source = try GitSource.open(
                repository: repository.path, ref: "main", path: "deploy", cacheDirectory: folder.url.appendingPathComponent("cache").path,
                credentials: GitCredentials())
            let result = load(source, identity: key.file)
            #expect(result.errors.isEmpty, "\(result.diagnostics)")
            #expect(Self.password(result) == Self.plaintext)
        }
    }
}
