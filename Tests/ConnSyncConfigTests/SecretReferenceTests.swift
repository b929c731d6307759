import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// Where `fromFile` may read, and what a resolved value may hold (config-format v1.1).
@Suite("Secret references")
struct SecretReferenceTests {
    /// A Database whose password is `reference`, in `doc.yaml` of a fresh source folder.
    static func database(_ reference: String, field: String = "password") -> String {
        "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec:\n  \(field): \(reference)\n"
    }

    func load(
        _ source: TemporaryDirectory, environment: [String: String] = [:], secretsDirectories: [String] = []
    ) -> LoadResult {
        DesiredStateLoader(
            options: LoadOptions(resolveSecrets: true),
            resolver: StandardSecretResolver(
                environment: environment, secretsDirectories: StandardSecretResolver.defaultSecretsDirectories + secretsDirectories)
        , vendors: VendorRegistry.standard.catalog).load(from: DirectorySource(directory: source.path))
    }

    @Test(arguments: ["../../../../etc/hostname", "/etc/hostname", "/proc/self/environ", "../outside.txt"])
    func aFileOutsideTheSourceIsRefusedAndNothingIsRead(_ path: String) throws {
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        try parent.write("outside-secret-value", to: "outside.txt")
        let source = TemporaryDirectory(url: parent.url.appendingPathComponent("config"))
        try source.write(Self.database("{fromFile: \(path)}"), to: "doc.yaml")
        let result = load(source)
        #expect(result.state == nil)
        let message = try #require(result.errors.first).description
        #expect(message.contains("spec.password"))
        #expect(message.contains("outside the source") || message.contains("cannot read secret file"), "\(message)")
        #expect(!message.contains("outside-secret-value"))
    }

    @Test func aMissingFileOutsideReadsLikeAnExistingOne() throws {
        let source = try TemporaryDirectory()
        defer { source.remove() }
        var messages: [String] = []
        for path in ["/etc/passwd", "/nonexistent/connsync-probe"] {
            try source.write(Self.database("{fromFile: \(path)}"), to: "doc.yaml")
            messages.append(try #require(load(source).errors.first).message.replacingOccurrences(of: path, with: "PATH"))
        }
        #expect(messages[0] == messages[1])
    }

    @Test func aSymlinkInTheSourceThatLeadsOutsideIsRefused() throws {
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        try parent.write("outside-secret-value", to: "outside.txt")
        let source = TemporaryDirectory(url: parent.url.appendingPathComponent("config"))
        try source.write(Self.database("{fromFile: link.txt}"), to: "doc.yaml")
        try FileManager.default.createSymbolicLink(atPath: source.path + "/link.txt", withDestinationPath: parent.path + "/outside.txt")
        let result = load(source)
        #expect(result.errors.map(\.code) == ["unresolved-secret"])
        #expect(result.errors.first?.message.contains("outside the source") == true)
    }

    @Test func aSymlinkThatStaysInsideAndASecretsFolderAreRead() throws {
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        try parent.write("mounted-secret\n", to: "mounted/orders")
        let source = TemporaryDirectory(url: parent.url.appendingPathComponent("config"))
        try source.write("inside-secret\n", to: "secrets/real.txt")
        try FileManager.default.createSymbolicLink(atPath: source.path + "/link.txt", withDestinationPath: "secrets/real.txt")
        try source.write(Self.database("{fromFile: link.txt}"), to: "a.yaml")
        try source.write(
            Self.database("{fromFile: \(parent.path)/mounted/orders}").replacingOccurrences(of: "name: x", with: "name: y"), to: "b.yaml")
        // Without the secrets folder, the mounted file is refused; with it (symlinks resolved), it is read.
        #expect(load(source).errors.count == 1)
        let state = try #require(load(source, secretsDirectories: [parent.path + "/mounted"]).state)
        #expect(state.databases.map { $0.fields.password?.value?.revealed() } == ["inside-secret", "mounted-secret"])
    }

    @Test func aYAMLFileSymlinkedFromOutsideIsRefused() throws {
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        try parent.write("kind: not-even-yaml-of-ours", to: "elsewhere.yaml")
        let source = TemporaryDirectory(url: parent.url.appendingPathComponent("config"))
        try source.write(Self.database("{fromEnv: X}"), to: "doc.yaml")
        try FileManager.default.createSymbolicLink(atPath: source.path + "/evil.yaml", withDestinationPath: parent.path + "/elsewhere.yaml")
        let result = load(source, environment: ["X": "v"])
        #expect(result.state == nil)
        #expect(result.errors.first?.message.contains("evil.yaml is a symlink that leads outside the source folder") == true)
    }

    @Test func fromEnvLosesOneTrailingNewline() throws {
        let source = try TemporaryDirectory()
        defer { source.remove() }
        try source.write(Self.database("{fromEnv: ORDERS}"), to: "doc.yaml")
        for (value, expected) in [("pw-from-env\n", "pw-from-env"), ("pw-from-env\r\n", "pw-from-env"), ("pw-from-env", "pw-from-env")] {
            let state = try #require(load(source, environment: ["ORDERS": value]).state)
            #expect(state.databases.first?.fields.password?.value?.revealed() == expected)
        }
    }

    @Test func aControlCharacterInASingleLineValueNamesTheReferenceNeverTheValue() throws {
        let source = try TemporaryDirectory()
        defer { source.remove() }
        try source.write(Self.database("{fromEnv: ORDERS}"), to: "doc.yaml")
        let result = load(source, environment: ["ORDERS": "first-line-secret\nsecond-line\n"])
        let error = try #require(result.errors.first)
        #expect(error.code == "secret-control-character")
        #expect(error.description.contains("{fromEnv: ORDERS}"))
        #expect(!error.description.contains("first-line-secret"))
    }

    @Test func pemValuesKeepTheirLineBreaks() throws {
        let source = try TemporaryDirectory()
        defer { source.remove() }
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
        try source.write(pem, to: "ca.pem")
        try source.write(Self.database("{mode: verify-full, ca: {fromFile: ca.pem}}", field: "ssl"), to: "doc.yaml")
        let state = try #require(load(source).state)
        #expect(state.databases.first?.fields.ssl?.ca?.value?.revealed() == String(pem.dropLast()))
    }

    @Test func aSecretFileMustBeASmallRegularFile() throws {
        let source = try TemporaryDirectory()
        defer { source.remove() }
        try source.write(String(repeating: "x", count: (1 << 20) + 1), to: "big.txt")
        try source.write(Self.database("{fromFile: big.txt}"), to: "doc.yaml")
        #expect(load(source).errors.first?.message.contains("cannot read secret file") == true)
        try source.write(Self.database("{fromFile: /dev/zero}"), to: "doc.yaml")
        #expect(load(source, secretsDirectories: ["/dev"]).errors.first?.message.contains("not a regular file") == true)
    }
}
