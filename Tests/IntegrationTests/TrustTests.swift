import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// A pull request's YAML, planned with production tokens in the environment, cannot send them
/// anywhere (cli.md v1.1, "Trust"). The "attacker" is a real listener on another port that
/// records whether any request, or any Authorization header, arrived.
@Suite("Trust: a pull request's YAML")
struct PullRequestTrustTests {
    /// A repository whose `main` holds the reviewed Providers and one connection each at wm and cd.
    func repository(_ workspace: Workspace) async throws -> String {
        let path = workspace.directory.url.appendingPathComponent("repo").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: path)
        try workspace.directory.write(workspace.providersYAML, to: "repo/connsync/providers.yaml")
        try workspace.directory.write(Workspace.ordersDatabase, to: "repo/connsync/databases.yaml")
        try workspace.directory.write(
            Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders", provider: "cd"), to: "repo/connsync/connections.yaml")
        try await git(["add", "-A"], in: path)
        try await git(["commit", "-q", "-m", "reviewed"], in: path)
        return path
    }

    /// Commits `providers` (and `connections`, when given) on a new branch `pr`.
    func pullRequest(_ workspace: Workspace, repository: String, providers: String, connections: String? = nil) async throws {
        try await git(["checkout", "-q", "-b", "pr"], in: repository)
        try workspace.directory.write(providers, to: "repo/connsync/providers.yaml")
        if let connections { try workspace.directory.write(connections, to: "repo/connsync/connections.yaml") }
        try await git(["commit", "-q", "-am", "pull request"], in: repository)
        try await git(["checkout", "-q", "main"], in: repository)
    }

    @Test func changedAndNewProvidersAreRefusedBeforeAnyRequestAndTheOthersPlan() async throws {
        try await Workspace.with { workspace in
            let attacker = try CaptureServer()
            defer { attacker.stop() }
            let repository = try await repository(workspace)
            let hostile = workspace.providersYAML
                .replacingOccurrences(of: "metadata: {name: wm}\nspec:\n  type: wiremock-cloud\n  baseURL: \(workspace.base)", with: "metadata: {name: wm}\nspec:\n  type: wiremock-cloud\n  baseURL: \(attacker.url)")
                .replacingOccurrences(of: "auth: {token: {fromEnv: CREDIBLE_TOKEN}}", with: "auth: {token: {fromEnv: GITHUB_TOKEN}}")
                .replacingOccurrences(of: "baseURL: \(workspace.base)\n  project: analytics", with: "baseURL: \(attacker.url)\n  project: analytics")
                + "---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: evil}\nspec:\n  type: wix-data\n  baseURL: \(attacker.url)\n  auth: {token: {fromEnv: WIX_TOKEN}}\n"
            #expect(hostile.contains(attacker.url))
            try await pullRequest(
                workspace, repository: repository, providers: hostile,
                connections: Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders", provider: "cd") + "---\n"
                    + Workspace.connection("orders", provider: "rep"))
            workspace.environment["GITHUB_TOKEN"] = "ghp-ci-token-4242"

            let plan = try await workspace.run(["plan", "--repo", repository, "--ref", "pr", "--path", "connsync", "--trusted-ref", "main"])
            #expect(plan.status == 1)
            #expect(attacker.requests.isEmpty, "a request reached the attacker")
            let output = plan.stdout + plan.stderr
            #expect(output.contains("Provider wm: spec.baseURL differs from the trusted ref main: refused, nothing is sent to it"))
            #expect(output.contains("Provider cd: spec.baseURL differs from the trusted ref main"))
            #expect(!output.contains("ghp-ci-token-4242"))
            // The unchanged provider is planned as usual.
            #expect(plan.stdout.contains("+ rep/orders  create (POST)"))
            // Without the trusted ref, the same YAML sends the production token to the attacker.
            _ = try await workspace.run(["plan", "--repo", repository, "--ref", "pr", "--path", "connsync"])
            #expect(attacker.requests.contains { $0.headers["authorization"] == "Token \(TestSecrets.wiremockToken)" })
        }
    }

    @Test func aChangedAuthReferenceOrANewProviderIsRefusedNamingTheField() async throws {
        try await Workspace.with { workspace in
            let repository = try await repository(workspace)
            let changed = workspace.providersYAML.replacingOccurrences(
                of: "auth: {token: {fromEnv: CREDIBLE_TOKEN}}", with: "auth: {token: {fromEnv: GITHUB_TOKEN}}")
                + "---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: extra}\nspec:\n  type: wix-data\n  baseURL: \(workspace.base)\n  auth: {token: {fromEnv: WIX_TOKEN}}\n"
            try await pullRequest(workspace, repository: repository, providers: changed)
            workspace.environment["GITHUB_TOKEN"] = "ghp-ci-token-4242"
            try await workspace.clearRequests()
            let plan = try await workspace.run(["plan", "--repo", repository, "--ref", "pr", "--path", "connsync", "--trusted-ref", "main"])
            #expect(plan.status == 1)
            let output = plan.stdout + plan.stderr
            #expect(output.contains("Provider cd: spec.auth.token differs from the trusted ref main"))
            #expect(try await workspace.requests().allSatisfy { $0["vendor"] != "credible-data" })
            // CONNSYNC_TRUSTED_REF does the same.
            workspace.environment["CONNSYNC_TRUSTED_REF"] = "main"
            let viaEnvironment = try await workspace.run(["plan", "--repo", repository, "--ref", "pr", "--path", "connsync"])
            #expect((viaEnvironment.stdout + viaEnvironment.stderr).contains("Provider cd: spec.auth.token differs from the trusted ref main"))
        }
    }

    @Test func aPullRequestThatChangesOnlyConnectionsPlansExactlyAsWithoutTheFlag() async throws {
        try await Workspace.with { workspace in
            let repository = try await repository(workspace)
            try await pullRequest(
                workspace, repository: repository, providers: workspace.providersYAML,
                connections: Workspace.connection("orders", provider: "wm", extra: "  port: 6543"))
            let trusted = try await workspace.run(["plan", "--repo", repository, "--ref", "pr", "--path", "connsync", "--trusted-ref", "main"])
            let plain = try await workspace.run(["plan", "--repo", repository, "--ref", "pr", "--path", "connsync"])
            #expect(trusted.status == 0, "\(trusted)")
            #expect(trusted.stdout == plain.stdout)
            #expect(trusted.stdout.contains("Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged."))
        }
    }

    @Test func aTrustedFolderAndTheHostAllowListRefuseToo() async throws {
        try await Workspace.with { workspace in
            let attacker = try CaptureServer()
            defer { attacker.stop() }
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders", provider: "wix", extra: "  options: {endpoint: https://e.example}").replacingOccurrences(of: "  databaseRef: orders\n", with: ""))
            try workspace.directory.write(workspace.providersYAML, to: "reviewed/providers.yaml")
            let moved = workspace.providersYAML.replacingOccurrences(
                of: "metadata: {name: wm}\nspec:\n  type: wiremock-cloud\n  baseURL: \(workspace.base)",
                with: "metadata: {name: wm}\nspec:\n  type: wiremock-cloud\n  baseURL: \(attacker.url)")
            try workspace.directory.write(moved, to: "config/providers.yaml")
            let reviewed = workspace.directory.url.appendingPathComponent("reviewed").path
            let plan = try await workspace.plan(["--trusted-dir", reviewed])
            #expect(plan.status == 1)
            #expect((plan.stdout + plan.stderr).contains("Provider wm: spec.baseURL differs from the trusted folder \(reviewed)"))
            #expect(attacker.requests.isEmpty)

            let port = URLComponents(string: workspace.base)!.port!
            let allowed = try await workspace.plan(["--allow-host", "127.0.0.1:\(port)"])
            #expect(allowed.status == 1)
            #expect((allowed.stdout + allowed.stderr).contains("Provider wm: spec.baseURL host 127.0.0.1 matches no --allow-host pattern"))
            #expect(attacker.requests.isEmpty)
            #expect(allowed.stdout.contains("+ wix/orders  create (POST)"), "\(allowed)")
            workspace.environment["CONNSYNC_ALLOW_HOSTS"] = "localhost,127.0.0.1:\(port)"
            #expect(try await workspace.plan().status == 1)
            #expect(attacker.requests.isEmpty)
        }
    }

    @Test func aTokenFromAFileOutsideTheSourceNeverReachesAnyone() async throws {
        try await Workspace.with { workspace in
            let attacker = try CaptureServer()
            defer { attacker.stop() }
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let moved = workspace.providersYAML
                .replacingOccurrences(of: "baseURL: \(workspace.base)\n  userId: u1\n  auth: {token: {fromEnv: WM_TOKEN}}", with: "baseURL: \(attacker.url)\n  userId: u1\n  auth: {token: {fromFile: /etc/hostname}}")
            try workspace.directory.write(moved, to: "config/providers.yaml")
            let plan = try await workspace.plan()
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("lies outside the source and outside the secrets folders"))
            #expect(plan.stderr.contains("nothing was sent to any vendor"))
            #expect(attacker.requests.isEmpty)
        }
    }

    @Test func aProviderTokenReadFromAFileOfTheSourceIsRefusedUnderATrustedSource() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let fromFile = workspace.providersYAML.replacingOccurrences(
                of: "auth: {token: {fromEnv: WM_TOKEN}}", with: "auth: {token: {fromFile: wm.token}}")
            try workspace.directory.write(fromFile, to: "config/providers.yaml")
            try workspace.directory.write(TestSecrets.wiremockToken, to: "config/wm.token")
            try workspace.directory.write(fromFile, to: "reviewed/providers.yaml")
            let reviewed = workspace.directory.url.appendingPathComponent("reviewed").path
            let plan = try await workspace.plan(["--trusted-dir", reviewed])
            #expect(plan.status == 1)
            #expect((plan.stdout + plan.stderr).contains("Provider wm: spec.auth.token reads a file of the source being planned"), "\(plan)")
            #expect(try await workspace.requests().allSatisfy { $0["vendor"] != "wiremock-cloud" })
            // Without a trusted source, the same file is an ordinary reference.
            #expect(try await workspace.plan().status == 0)
        }
    }

    @Test func aVendorEchoingASecretIntoAnyFieldHasItMasked() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wiremock-cloud": [
                    [
                        "userId": "u1", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": .string("echo-\(TestSecrets.wiremockToken)"),
                        "port": 5432, "databaseName": .string(TestSecrets.ordersPassword), "username": "app",
                    ]
                ]
            ])
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            // workspace.run fails the test if a secret appears in any output.
            for format in ["text", "json", "markdown"] {
                let plan = try await workspace.plan(["--format", format])
                #expect(plan.status == 0)
            }
            let text = try await workspace.plan()
            #expect(text.stdout.contains("~ host: (sensitive value changed)"), "\(text)")
        }
    }
}
