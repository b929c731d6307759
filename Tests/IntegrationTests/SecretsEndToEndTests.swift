import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// The secret references of config-format v1.1 through the built binary: an age file
/// decrypted with `--age-identity` (or `CONNSYNC_AGE_IDENTITY`), a vault command run only
/// with `--allow-secret-commands`, and never for a document the trusted source lacks.
@Suite("Secrets end to end")
struct SecretsEndToEndTests {
    static let database = """
        apiVersion: connsync/v1
        kind: Database
        metadata: {name: orders}
        spec:
          engine: postgresql
          host: orders.db.internal
          port: 5432
          database: orders
          username: app
          password: {fromFile: secrets/orders-pw.age}

        """

    @Test func anAgeEncryptedPasswordReachesTheVendorAndNothingElse() async throws {
        try await Workspace.with { workspace in
            let key = workspace.directory.url.appendingPathComponent("age.key").path
            #expect(try await runProcess("/usr/bin/age-keygen", ["-o", key]).status == 0)
            let recipient = try await runProcess("/usr/bin/age-keygen", ["-y", key]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"), database: Self.database)
            try FileManager.default.createDirectory(atPath: workspace.configDirectory + "/secrets", withIntermediateDirectories: true)
            let encrypted = try await runProcess(
                "/usr/bin/age", ["-a", "-r", recipient, "-o", workspace.configDirectory + "/secrets/orders-pw.age"], stdin: TestSecrets.ordersPassword + "\n")
            #expect(encrypted.status == 0)
            // Without the identity: an error naming the document and field, nothing sent.
            let refused = try await workspace.plan()
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("Database/orders: spec.password: secret file secrets/orders-pw.age is age-encrypted"), "\(refused)")
            #expect(try await workspace.requests().isEmpty)
            // With it (the flag, then the variable): the vendor holds the plaintext.
            #expect(try await workspace.apply(["--age-identity", key]).status == 0)
            #expect(try await workspace.state()["wiremock-cloud"]?.arrayValue?.first?["password"] == .string(TestSecrets.ordersPassword))
            workspace.environment["CONNSYNC_AGE_IDENTITY"] = key
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)
            #expect(!workspace.stateFileText().contains(TestSecrets.ordersPassword))
        }
    }

    @Test func aVaultCommandRunsOnlyWhenAllowedAndOnlyForReviewedDocuments() async throws {
        try await Workspace.with { workspace in
            let vault = workspace.directory.url.appendingPathComponent("fake-vault").path
            let calls = workspace.directory.url.appendingPathComponent("vault-calls").path
            try "#!/bin/sh\necho \"$@\" >> \(calls)\necho \(TestSecrets.ordersPassword)\n".write(toFile: vault, atomically: true, encoding: .utf8)
            #expect(chmod(vault, 0o755) == 0)
            let database = Self.database.replacingOccurrences(
                of: "{fromFile: secrets/orders-pw.age}", with: "{fromCommand: [\(vault), kv, get, -field=password, secret/orders]}")
            try workspace.writeConfig(
                Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders", provider: "cd"), database: database)
            let refused = try await workspace.plan()
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("pass --allow-secret-commands to allow it (nothing was run)"), "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: calls))
            // Allowed: one run for the two connections that inherit the password.
            #expect(try await workspace.apply(["--allow-secret-commands"]).status == 0)
            #expect(try String(contentsOfFile: calls, encoding: .utf8) == "kv get -field=password secret/orders\n")
            #expect(try await workspace.state()["wiremock-cloud"]?.arrayValue?.first?["password"] == .string(TestSecrets.ordersPassword))
            // A pull request that changes the command: under the reviewed folder, it never runs.
            let reviewed = workspace.directory.url.appendingPathComponent("reviewed").path
            try FileManager.default.copyItem(atPath: workspace.configDirectory, toPath: reviewed)
            try workspace.directory.write(database.replacingOccurrences(of: "secret/orders", with: "secret/everything"), to: "config/databases.yaml")
            try "".write(toFile: calls, atomically: true, encoding: .utf8)
            let untrusted = try await workspace.plan(["--allow-secret-commands", "--trusted-dir", reviewed])
            #expect(untrusted.status == 1)
            #expect(untrusted.stderr.contains("this document differs from the trusted folder \(reviewed), so its fromCommand was not run"), "\(untrusted)")
            #expect(try String(contentsOfFile: calls, encoding: .utf8).isEmpty)
        }
    }
}
