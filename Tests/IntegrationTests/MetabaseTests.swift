import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// Metabase databases end to end: the built binary against the emulator process, over
/// loopback, with the Provider's baseURL below a sub-path.
@Suite("Metabase end to end")
struct MetabaseTests {
    static let connection = Workspace.connection("orders", provider: "mb", extra: "  ssl: {mode: require}\n")

    /// A database that drifted (an old host), switched to on-demand sync at Metabase, with an
    /// unmanaged detail.
    static let drifted: Value = [
        "id": 7, "name": "orders", "engine": "postgres", "is_on_demand": true, "cache_ttl": 24,
        "details": [
            "host": "orders-old.db.internal", "port": 5432, "dbname": "orders", "user": "app", "password": "an-old-password", "ssl": true,
            "ssl-mode": "require", "additional-options": "prepareThreshold=0",
        ],
    ]

    func stored(_ workspace: Workspace) async throws -> Value {
        try #require(try await workspace.state()["metabase"]?.arrayValue?.first)
    }

    @Test func applyThenPlanIsCleanThroughTheMaskedPassword() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed(["metabase": [Self.drifted]])
            try workspace.writeConfig(Self.connection)
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("  ~ mb/orders  update in place (PUT)\n"), "\(plan)")
            #expect(plan.stdout.contains("      ~ host: \"orders-old.db.internal\" -> \"orders.db.internal\"\n"))
            #expect(plan.stdout.contains("      ~ password: (sensitive value, not yet applied by connsync)\n"))
            #expect(!plan.stdout.contains("MetabasePass"))
            let apply = try await workspace.apply()
            #expect(apply.status == 0, "\(apply)")
            let put = try #require(try await workspace.writes().first?["body"])
            #expect(put["is_on_demand"] == true && put["cache_ttl"] == 24, "sent as the remote has them, or Metabase resets them")
            let row = try await stored(workspace)
            #expect(row[path: "details.host"] == "orders.db.internal")
            #expect(row[path: "details.password"] == .string(TestSecrets.ordersPassword))
            #expect(row[path: "details.additional-options"] == "prepareThreshold=0", "details merge shallowly")
            #expect(row["is_on_demand"] == true && row["cache_ttl"] == 24)
            // The mask reads back every time; compared through state's hashes, it never diffs.
            let again = try await workspace.plan(["--detailed-exitcode"])
            #expect(again.status == 0, "\(again)")
            try await workspace.clearRequests()
            #expect(try await workspace.apply().status == 0)
            #expect(try await workspace.writes().isEmpty)
        }
    }

    @Test func createThenARotationShowsAsASensitiveChange() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.connection)
            let created = try await workspace.apply()
            #expect(created.status == 0, "\(created)")
            #expect(created.stdout.contains("✓ mb/orders created (POST 200"), "\(created)")
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)
            workspace.environment["ORDERS_PASSWORD"] = TestSecrets.rotatedPassword
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("      ~ password: (sensitive value changed)\n"), "\(plan)")
            #expect(try await workspace.apply().status == 0)
            #expect(try await stored(workspace)[path: "details.password"] == .string(TestSecrets.rotatedPassword))
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)
        }
    }

    /// Metabase tests the connection on save: its 400 is the ✗ line, and nothing is created.
    @Test func aFailedConnectionTestIsTheFailure() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "mb", extra: "  host: warehouse.invalid\n"))
            let apply = try await workspace.apply()
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stdout.contains("✗ mb/orders failed: 400 Bad Request"), "\(apply)")
            #expect(apply.stdout.contains("warehouse.invalid"), "\(apply)")
            #expect(try await workspace.state()["metabase"]?.arrayValue?.isEmpty == true)
        }
    }

    /// Deleting a database takes its saved questions with it: the plan says so.
    @Test func aPrunedDatabaseIsDeletedWithANote() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.connection)
            try workspace.directory.write(
                workspace.providersYAML.replacingOccurrences(of: "  auth: {token: {fromEnv: METABASE_API_KEY}}\n", with: "  prune: true\n  auth: {token: {fromEnv: METABASE_API_KEY}}\n"),
                to: "config/providers.yaml")
            #expect(try await workspace.apply().status == 0)
            try workspace.directory.write(Workspace.connection("other", provider: "cd"), to: "config/connections.yaml")
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("  - mb/orders  delete (DELETE)\n"), "\(plan)")
            #expect(plan.stdout.contains("# deleting a Metabase database also deletes every saved question, model and metric on it"))
            #expect(try await workspace.apply().status == 0)
            #expect(try await workspace.state()["metabase"]?.arrayValue?.isEmpty == true)
        }
    }
}
