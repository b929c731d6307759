import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// `{fromCommand: [ARGV...]}` (config-format v1.1): run without a shell only when allowed,
/// once per distinct command and load, bounded in time and size, failing with at most the
/// first stderr line (secrets redacted), and never for a document the trusted source lacks.
@Suite("Secret commands")
struct SecretCommandTests {
    /// A Database whose password comes from `argv` (a YAML flow list).
    static func database(_ argv: String, name: String = "x") -> String {
        "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: \(name)}\nspec:\n  password: {fromCommand: \(argv)}\n"
    }

    struct Loaded {
        var result: LoadResult
        var runs: Int
    }

    func load(
        _ source: TemporaryDirectory, allow: Bool = true, resolve: Bool = true, trusted: TrustedDocuments? = nil,
        timeout: Duration = .seconds(10), environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Loaded {
        let resolver = StandardSecretResolver(environment: environment, commandTimeout: timeout)
        let loader = DesiredStateLoader(
            options: LoadOptions(resolveSecrets: resolve, allowSecretCommands: allow, trustedDocuments: trusted), resolver: resolver,
            vendors: VendorRegistry.standard.catalog)
        return Loaded(result: loader.load(from: DirectorySource(directory: source.path)), runs: resolver.commands.runCount)
    }

    func password(_ loaded: Loaded, _ name: String = "x") -> String? {
        loaded.result.state?.databases.first { $0.name == name }?.fields.password?.value?.revealed()
    }

    @Test func theOutputIsTheValueWithOneNewlineTrimmed() async throws {
        try await withTemporaryDirectory { source in
            try source.write(
                Self.database("[printf, 'vault-value-81\\n']")
                    + "  ssl: {mode: require, ca: {fromCommand: [printf, '-----BEGIN CERTIFICATE-----\\n\\n']}}\n", to: "doc.yaml")
            let loaded = load(source)
            #expect(loaded.result.errors.isEmpty, "\(loaded.result.diagnostics)")
            #expect(password(loaded) == "vault-value-81")
            let ca = loaded.result.state?.databases.first?.fields.ssl?.ca?.value?.revealed()
            #expect(ca == "-----BEGIN CERTIFICATE-----\n", "one newline trimmed, not two")
        }
    }

    @Test func aCommandsArgumentsAreNeverShown() async throws {
        try await withTemporaryDirectory { source in
            // A value with a line break in a single-line field: the error names the program only.
            try source.write(Self.database("[printf, '%s\\nx', --token=argv-secret-7731]"), to: "doc.yaml")
            let loaded = load(source)
            let messages = loaded.result.errors.map(\.message)
            #expect(messages.contains { $0.contains("{fromCommand: [printf, ...]}") }, "\(messages)")
            #expect(!messages.joined().contains("argv-secret-7731"))
        }
    }

    @Test func stdoutClosedButStillRunningTimesOutWithinOneDeadline() async throws {
        try await withTemporaryDirectory { source in
            try source.write(Self.database("[sh, -c, 'printf pw; exec >&-; sleep 5']"), to: "doc.yaml")
            let loaded = load(source, timeout: .milliseconds(300))
            #expect(loaded.result.errors.map(\.message).contains { $0.contains("did not finish within") }, "\(loaded.result.diagnostics)")
        }
    }

    @Test func aCommandKilledBySignalSaysSo() async throws {
        try await withTemporaryDirectory { source in
            try source.write(Self.database("[sh, -c, 'kill -9 $$']"), to: "doc.yaml")
            let loaded = load(source)
            #expect(loaded.result.errors.map(\.message).contains { $0.contains("was killed by signal 9") }, "\(loaded.result.diagnostics)")
        }
    }

    @Test func noShellIsInvolved() async throws {
        try await withTemporaryDirectory { source in
            try source.write(Self.database("[echo, '$HOME', '`id`', ';', 'ls']"), to: "doc.yaml")
            #expect(password(load(source)) == "$HOME `id` ; ls")
        }
    }

    @Test func eachDistinctCommandRunsOncePerLoad() async throws {
        try await withTemporaryDirectory { source in
            let counter = source.url.appendingPathComponent("runs").path
            let argv = "[sh, -c, 'echo run >> \(counter); echo shared-pw-19']"
            try source.write(Self.database(argv, name: "a") + "---\n" + Self.database(argv, name: "b") + "---\n" + Self.database("[echo, other-pw]", name: "c"), to: "doc.yaml")
            let first = load(source)
            #expect(first.result.errors.isEmpty)
            #expect(password(first, "a") == "shared-pw-19" && password(first, "b") == "shared-pw-19" && password(first, "c") == "other-pw")
            #expect(first.runs == 2)
            #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\n")
            // Another load (another reconcile of watch) runs it again: a rotated secret is picked up.
            _ = load(source)
            #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\nrun\n")
        }
    }

    @Test func withoutTheFlagNothingRuns() async throws {
        try await withTemporaryDirectory { source in
            let marker = source.url.appendingPathComponent("ran").path
            try source.write(Self.database("[touch, \(marker)]"), to: "doc.yaml")
            let loaded = load(source, allow: false)
            #expect(loaded.result.errors.map(\.message) == ["fromCommand runs a program: pass --allow-secret-commands to allow it (nothing was run)"])
            #expect(!FileManager.default.fileExists(atPath: marker))
            // Checked for form only (validate without --resolve-secrets): nothing runs either, and it is valid.
            let form = load(source, allow: false, resolve: false)
            #expect(form.result.errors.isEmpty && form.runs == 0)
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test func aFailureShowsTheFirstStderrLineWithSecretsRedacted() async throws {
        try await withTemporaryDirectory { source in
            try source.write(
                "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec:\n  username: app\n  password: {fromEnv: OTHER}\n---\n"
                    + Self.database("[sh, -c, 'echo \"denied for env-secret-77 and token\" >&2; echo second-line >&2; exit 3']", name: "y"),
                to: "doc.yaml")
            var environment = ProcessInfo.processInfo.environment
            environment["OTHER"] = "env-secret-77"
            let errors = load(source, environment: environment).result.errors
            #expect(errors.map(\.message) == ["the secret command sh exited 3: denied for (sensitive) and token"], "\(errors)")
            #expect(errors.allSatisfy { !$0.description.contains("env-secret-77") && !$0.description.contains("second-line") })
        }
    }

    @Test func aSlowCommandIsStoppedAtTheDeadline() async throws {
        try await withTemporaryDirectory { source in
            try source.write(Self.database("[sleep, '30']"), to: "doc.yaml")
            let errors = load(source, timeout: .milliseconds(300)).result.errors
            #expect(errors.map(\.message) == ["the secret command sleep did not finish within 0.3 s; it was stopped"])
        }
    }

    @Test func tooMuchOutputOrAMissingProgramIsAnError() async throws {
        try await withTemporaryDirectory { source in
            try source.write(Self.database("[head, -c, '2000000', /dev/zero]", name: "a") + "---\n" + Self.database("[no-such-program-connsync]", name: "b"), to: "doc.yaml")
            let messages = load(source).result.errors.map(\.message)
            #expect(messages.contains("the secret command head printed more than 1 MiB"))
            #expect(messages.contains("the secret command no-such-program-connsync not found (searched PATH)"))
        }
    }

    /// Under a trusted source, a document that differs from it never runs its command.
    @Test func aDocumentTheTrustedSourceLacksRunsNothing() async throws {
        try await withTemporaryDirectory { folder in
            let trusted = TemporaryDirectory(url: folder.url.appendingPathComponent("trusted"))
            let planned = TemporaryDirectory(url: folder.url.appendingPathComponent("planned"))
            let marker = folder.url.appendingPathComponent("ran").path
            let reviewed = Self.database("[echo, reviewed-pw]", name: "a")
            try trusted.write(reviewed, to: "doc.yaml")
            // Same document, reformatted: still trusted. A changed one: not run.
            try planned.write(
                "kind: Database\napiVersion: connsync/v1\nspec:\n  password:\n    fromCommand: [echo, reviewed-pw]\nmetadata:\n  name: a\n---\n"
                    + Self.database("[touch, \(marker)]", name: "b"), to: "doc.yaml")
            let documents = try TrustedDocuments.load(from: DirectorySource(directory: trusted.path), reference: "the trusted folder T")
            let loaded = load(planned, trusted: documents)
            #expect(loaded.result.errors.map(\.message) == [
                "this document differs from the trusted folder T, so its fromCommand was not run (a changed command runs once it is merged)"
            ])
            #expect(loaded.runs == 1)
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test(arguments: [
        ("[]", "must be a list of 1 to 64 strings"), ("vault", "must be a list of 1 to 64 strings"), ("[vault, 5]", "(got 5); quote it"),
        ("[vault, '']", "must be a non-empty string of one line"),
    ])
    func aMalformedCommandIsAnErrorAtItsPlace(_ argv: String, _ expected: String) async throws {
        try await withTemporaryDirectory { source in
            try source.write(Self.database(argv), to: "doc.yaml")
            let loaded = load(source)
            #expect(loaded.result.errors.map(\.code) == ["secret-reference"])
            #expect(loaded.result.errors.first?.message.contains(expected) == true, "\(loaded.result.errors)")
            #expect(loaded.runs == 0)
        }
    }
}
