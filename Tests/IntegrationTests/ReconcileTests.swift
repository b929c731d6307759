import ConnSyncModel
import ConnSyncState
import Foundation
import TestSupport
import Testing

// The built `connsync` against a `connsync emulator` process over loopback: drift → plan
// (exact diff) → apply → the emulator holds the desired state → the second plan is
// `No changes.` → a second apply sends no write.

@Suite("Reconcile each vendor end to end")
struct VendorReconcileTests {
    /// Plans, applies, checks convergence and quiet second runs; returns the first plan's stdout.
    func converge(_ workspace: Workspace) async throws -> String {
        let plan = try await workspace.plan(["--detailed-exitcode"])
        #expect(plan.status == 2, "\(plan)")
        let apply = try await workspace.apply()
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete:"))
        let again = try await workspace.plan(["--detailed-exitcode"])
        #expect(again.status == 0, "\(again)")
        #expect(lines(again.stdout).contains { $0.hasPrefix("No changes. ") && $0.hasSuffix(" up to date.") })
        try await workspace.clearRequests()
        let quiet = try await workspace.apply()
        #expect(quiet.status == 0)
        #expect(try await workspace.writes().isEmpty)
        return plan.stdout
    }

    @Test func wiremockCloud() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wiremock-cloud": [
                    [
                        "userId": "u1", "id": "wm-1", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "old.db.internal",
                        "port": 5432, "databaseName": "orders", "username": "app", "password": "old",
                    ]
                ]
            ])
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let plan = try await converge(workspace)
            #expect(plan.contains("  ~ wm/orders  update in place (PATCH)\n"))
            #expect(plan.contains("      ~ host: \"old.db.internal\" -> \"orders.db.internal\"\n"))
            #expect(plan.contains("      ~ password: (sensitive value, not yet applied by connsync)\n"))
            #expect(plan.contains("Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged."))
            let stored = try #require(try await workspace.state()["wiremock-cloud"]?.arrayValue?.first)
            #expect(stored["host"] == "orders.db.internal")
            #expect(stored["password"] == .string(TestSecrets.ordersPassword))
            #expect(stored["id"] == "wm-1")
        }
    }

    @Test func lerianReporter() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "lerian-reporter": [
                    [
                        "id": "0199b8f3-d17d-7d2b-a192-6e91464d82fc", "configName": "orders-reporting", "type": "POSTGRESQL",
                        "host": "orders.db.internal", "port": 5433, "databaseName": "orders", "userName": "app", "metadata": ["team": "data", "owner": "bob"],
                    ]
                ]
            ])
            try workspace.writeConfig(
                """
                apiVersion: connsync/v1
                kind: Connection
                metadata:
                  name: orders-reporting
                  labels: {team: data}
                spec:
                  provider: rep
                  databaseRef: orders
                """)
            let plan = try await converge(workspace)
            #expect(plan.contains("      ~ port: 5433 -> 5432\n"))
            #expect(plan.contains("      - labels.owner: \"bob\"   # not in desired state: cleared by the update\n"))
            let stored = try #require(try await workspace.state()["lerian-reporter"]?.arrayValue?.first)
            #expect(stored["port"] == 5432)
            #expect(stored["metadata"] == ["team": "data"])
            #expect(stored["password"] == .string(TestSecrets.ordersPassword))
        }
    }

    @Test func credibleDataCreatesThenKeepsTheBlockWhole() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "cd", extra: "  port: 6432\n"))
            let plan = try await converge(workspace)
            #expect(plan.contains("  + cd/orders  create (POST)\n"))
            #expect(plan.contains("      + port: 6432\n"))
            #expect(plan.contains("      + password: (sensitive)\n"))
            let stored = try #require(try await workspace.state()["credible-data"]?.arrayValue?.first)
            #expect(stored["postgresConnection"] == [
                "host": "orders.db.internal", "port": 6432, "databaseName": "orders", "userName": "app",
                "password": .string(TestSecrets.ordersPassword),
            ])
        }
    }

    @Test func dataforKeepsUnmanagedFields() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "datafor": [
                    [
                        "name": "orders", "hostname": "10.0.0.9", "databasePort": "5432", "databaseName": "orders", "username": "app",
                        "connectionPoolingProperties": ["initialSize": "3", "maxActive": "77", "maxIdle": "9", "minIdle": "3"],
                        "extraOptions": ["POSTGRESQL.TimeZone": "Europe/Berlin"], "password": "old",
                    ]
                ]
            ])
            try workspace.writeConfig(Workspace.connection("orders", provider: "df"))
            let plan = try await converge(workspace)
            #expect(plan.contains("  ~ df/orders  update in place (POST)\n"))
            #expect(plan.contains("      ~ host: \"10.0.0.9\" -> \"orders.db.internal\"\n"))
            #expect(!plan.contains("connectionPoolingProperties"))
            let stored = try #require(try await workspace.state()["datafor"]?.arrayValue?.first)
            #expect(stored["hostname"] == "orders.db.internal")
            #expect(stored["connectionPoolingProperties"] == ["initialSize": "3", "maxActive": "77", "maxIdle": "9", "minIdle": "3"])
            #expect(stored["extraOptions"] == ["POSTGRESQL.TimeZone": "Europe/Berlin"])
            #expect(stored["password"] == .string(TestSecrets.ordersPassword))
        }
    }

    @Test func wixDataRemovesAnExtraKeyAndNeverDiffsReadOnlyFields() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wix-data": [
                    [
                        "name": "OrdersAdapter", "endpoint": "https://adapter.example/wix",
                        "configuration": ["secretKey": .string(TestSecrets.wixSecretKey), "collections": ["orders"], "tenantId": "old-site"],
                    ]
                ]
            ])
            try workspace.writeConfig(
                """
                apiVersion: connsync/v1
                kind: Connection
                metadata: {name: OrdersAdapter}
                spec:
                  provider: wix
                  options:
                    endpoint: https://adapter.example/wix
                    configuration:
                      secretKey: {fromEnv: WIX_SECRET_KEY}
                      collections: [orders]
                """)
            let plan = try await converge(workspace)
            #expect(plan.contains("  ~ wix/OrdersAdapter  replace whole object (PUT)\n"))
            #expect(plan.contains("      - configuration.tenantId: \"old-site\"   # not in desired state: removed by PUT\n"))
            #expect(!plan.contains("connectionStatus") && !plan.contains("publicKey") && !plan.contains("capabilities"))
            let stored = try #require(try await workspace.state()["wix-data"]?.arrayValue?.first)
            #expect(stored["configuration"] == ["secretKey": .string(TestSecrets.wixSecretKey), "collections": ["orders"]])
        }
    }
}
