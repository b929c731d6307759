import ConnSyncModel
import ConnSyncState
import Foundation
import TestSupport
import Testing

// The built `connsync` against a `connsync emulator` process over loopback: drift → plan
// (exact diff) → apply → the emulator holds the desired state → the second plan is
// `No changes.` → a second apply sends no write.

@Suite("Reconcile behaviours")
struct ReconcileBehaviourTests {
    static let fourVendors =
        Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders-reporting", provider: "rep") + "---\n"
        + Workspace.connection("orders", provider: "cd") + "---\n" + Workspace.connection("orders", provider: "df")

    @Test func rotatingTheSharedPasswordUpdatesExactlyTheConnectionsThatUseIt() async throws {
        try await Workspace.with { workspace in
            let unrelated = """
                ---
                apiVersion: connsync/v1
                kind: Connection
                metadata: {name: ledger}
                spec:
                  provider: wm
                  engine: mysql
                  host: ledger.db.internal
                  port: 3306
                  database: ledger
                  username: reporter
                  password: {fromEnv: LEDGER_PASSWORD}
                """
            workspace.environment["LEDGER_PASSWORD"] = "ledger-pass"
            try workspace.writeConfig(Self.fourVendors + unrelated)
            let first = try await workspace.apply()
            #expect(first.status == 0, "\(first)")
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)

            workspace.environment["ORDERS_PASSWORD"] = TestSecrets.rotatedPassword
            let plan = try await workspace.plan(["--detailed-exitcode"])
            #expect(plan.status == 2)
            #expect(plan.stdout.components(separatedBy: "~ password: (sensitive value changed)").count - 1 == 4)
            #expect(plan.stdout.contains("Plan: 0 to create, 4 to update, 0 to delete, 1 unchanged."))
            #expect(!plan.stdout.contains("wm/ledger"))
            try await workspace.clearRequests()
            #expect(try await workspace.apply().status == 0)
            let writes = try await workspace.writes()
            #expect(writes.count == 4)
            let state = try await workspace.state()
            #expect(state["wiremock-cloud"]?.arrayValue?.first { $0["connectionName"] == "orders" }?["password"] == .string(TestSecrets.rotatedPassword))
            #expect(state["wiremock-cloud"]?.arrayValue?.first { $0["connectionName"] == "ledger" }?["password"] == "ledger-pass")
            #expect(state["credible-data"]?.arrayValue?.first?[path: "postgresConnection.password"] == .string(TestSecrets.rotatedPassword))
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)
        }
    }

    @Test func credibleDataNeverClearsAnUndeclaredSecret() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "credible-data": [
                    [
                        "project": "analytics", "name": "orders", "type": "postgres",
                        "postgresConnection": ["host": "old.internal", "port": 5432, "databaseName": "orders", "userName": "app", "password": "keep-me"],
                    ]
                ]
            ])
            try workspace.writeConfig(
                Workspace.connection("orders", provider: "cd"),
                database: Workspace.ordersDatabase.replacingOccurrences(of: "  password: {fromEnv: ORDERS_PASSWORD}\n", with: ""))
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("      - password: (sensitive)   # not declared in desired state: the update would clear it\n"))
            #expect(plan.stdout.contains("! apply will refuse this change"))
            try await workspace.clearRequests()
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("✗ cd/orders refused, nothing sent:"))
            #expect(try await workspace.writes().isEmpty)
            #expect(try await workspace.state()["credible-data"]?.arrayValue?.first?[path: "postgresConnection.password"] == "keep-me")
        }
    }

    @Test func retriesA429HonouringRetryAfter() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            try await workspace.fault(["vendor": "wiremock-cloud", "method": "POST", "path": "/v1/users/*", "count": 1, "status": 429, "retryAfter": 1])
            let apply = try await workspace.apply()
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stderr.contains("wm: POST \(workspace.base)/v1/users/u1/database-connections answered HTTP 429; retrying in 1 s (attempt 2)"))
            let posts = try await workspace.requests().filter { $0["method"] == "POST" }
            #expect(posts.map { $0["status"] } == [429, 201])
        }
    }

    @Test func waitsOutALerianJobInProgress() async throws {
        try await Workspace.with { workspace in
            let id = "0199b8f3-d17d-7d2b-a192-6e91464d82fd"
            try await workspace.seed([
                "lerian-reporter": [
                    [
                        "id": .string(id), "configName": "orders-reporting", "type": "POSTGRESQL", "host": "old.internal", "port": 5432,
                        "databaseName": "orders", "userName": "app",
                    ]
                ]
            ])
            _ = try await workspace.adminCall("POST", "/_emulator/lerian/jobs", ["id": .string(id), "calls": 1])
            try workspace.writeConfig(Workspace.connection("orders-reporting", provider: "rep"))
            let apply = try await workspace.apply()
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stderr.contains("FET-1021"))
            let patches = try await workspace.requests().filter { $0["method"] == "PATCH" }
            #expect(patches.map { $0["status"] } == [409, 200])
        }
    }

    @Test func oneVendorFailingLeavesTheOthersConvergedAndExits1() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.fourVendors)
            try await workspace.fault(["vendor": "datafor", "path": "/plugin/datafor-modeler/api/connection/add", "count": 5, "status": 200,
                "body": ["success": false, "code": "500", "msg": "CONNECTION_CREATE_FORBIDDEN: user may not create connections"]])
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("✗ df/orders failed: 200 OK: CONNECTION_CREATE_FORBIDDEN user may not create connections"))
            #expect(apply.stdout.contains("Apply complete: 3 created, 0 updated, 0 deleted, 1 failed."))
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("Plan: 1 to create, 0 to update, 0 to delete, 3 unchanged."))
        }
    }

    /// A vendor that echoes the request's password and the run's own credential in its error,
    /// during apply: the message is shown, the secrets never (the run's one redactor).
    @Test func aVendorEchoingSecretsInAnApplyErrorShowsNeither() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.fourVendors)
            // `admin` is datafor's auth username: a credential too.
            let echoed = "password \(TestSecrets.ordersPassword) refused for admin:\(TestSecrets.dataforPassword)"
            try await workspace.fault(["vendor": "datafor", "path": "/plugin/datafor-modeler/api/connection/add", "count": 5, "status": 200,
                "body": ["success": false, "code": "500", "msg": .string(echoed)]])
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("✗ df/orders failed: 200 OK:"), "\(apply)")
            #expect(apply.stdout.contains("password (sensitive) refused for (sensitive):(sensitive)"), "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 3 created, 0 updated, 0 deleted, 1 failed."))
        }
    }

    @Test func unauthorizedProviderIsAnErrorAndTheOthersStillPlan() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.fourVendors)
            workspace.environment["WM_TOKEN"] = "wrong-token"
            let plan = try await workspace.plan(["--detailed-exitcode"])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("wm: observe wm: 401 Unauthorized"))
            // Honest summaries (cli.md v1.1): a failure never reads as a complete plan.
            #expect(plan.stdout.contains("Plan incomplete: 3 to create, 0 to update, 0 to delete, 0 unchanged; 1 of 4 providers failed."), "\(plan)")
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("✗ wm: could not be observed: observe wm: 401 Unauthorized"), "\(apply)")
            #expect(apply.stdout.contains("Apply complete: 3 created, 0 updated, 0 deleted, 1 failed.\n\nFailed (1):\n  ✗ wm: could not be observed"))
        }
    }

    @Test func listPagesOnlyForTwoHundredFiftyConnections() async throws {
        try await Workspace.with { workspace in
            var seeded: [Value] = []
            var documents: [String] = []
            for index in 0..<250 {
                let name = String(format: "conn-%03d", index)
                seeded.append([
                    "userId": "u1", "connectionName": .string(name), "databaseType": "POSTGRESQL", "host": "orders.db.internal", "port": 5432,
                    "databaseName": "orders", "username": "app",
                ])
                documents.append(
                    "apiVersion: connsync/v1\nkind: Connection\nmetadata: {name: \(name)}\nspec: {provider: wm, engine: postgresql, host: orders.db.internal, port: 5432, database: orders, username: app}\n")
            }
            try await workspace.seed(["wiremock-cloud": .array(seeded)])
            try workspace.writeConfig(documents.joined(separator: "---\n"))
            let plan = try await workspace.plan(["--detailed-exitcode"])
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("No changes. 250 connections up to date."))
            let requests = try await workspace.requests()
            #expect(requests.count == 3)
            #expect(requests.allSatisfy { $0["method"] == "GET" && $0["path"] == "/v1/users/u1/database-connections" })
            #expect(Set(requests.compactMap { $0["query"]?.stringValue }) == ["page=1&limit=100", "page=2&limit=100", "page=3&limit=100"])
        }
    }

    @Test func twoRemoteConnectionsWithTheNameAreNeverGuessed() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "datafor": [["name": "orders", "hostname": "a"]],
                "lerian-reporter": [
                    ["configName": "orders-reporting", "type": "POSTGRESQL", "host": "a", "port": 1, "databaseName": "d", "userName": "u"],
                    ["configName": "orders-reporting", "type": "POSTGRESQL", "host": "b", "port": 1, "databaseName": "d", "userName": "u", "tenantId": ""],
                ],
            ])
            try workspace.writeConfig(Workspace.connection("orders-reporting", provider: "rep") + "---\n" + Workspace.connection("orders", provider: "wm"))
            let plan = try await workspace.plan()
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("rep/orders-reporting: 2 remote connections at rep are named \"orders-reporting\""))
            #expect(plan.stderr.contains("connsync never guesses"))
            #expect(plan.stdout.contains("  + wm/orders  create (POST)"))
            try await workspace.clearRequests()
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(try await workspace.writes().map { $0["path"] } == ["/v1/users/u1/database-connections"])
        }
    }

    @Test func applyRefusesWithoutApprovalWhenStdinIsNotATerminal() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let apply = try await workspace.run(["apply"], stdin: "yes\n")
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("  + wm/orders  create (POST)"))
            #expect(apply.stderr.contains("stdin is not a terminal: nothing was sent. Pass --auto-approve"))
            #expect(try await workspace.writes().isEmpty)
        }
    }

    @Test func targetLimitsThePlanAndApply() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.fourVendors)
            let plan = try await workspace.plan(["--target", "cd/orders", "--target", "df/orders"])
            #expect(plan.stdout.contains("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged."))
            #expect(try await workspace.apply(["--target", "cd/orders"]).status == 0)
            #expect(try await workspace.writes().count == 1)
            let typo = try await workspace.plan(["--target", "cd/ordres"])
            #expect(typo.status == 1)
            #expect(typo.stderr.contains("no connection matches --target cd/ordres"))
            #expect(typo.stdout.contains("Plan incomplete: 0 to create, 0 to update, 0 to delete, 0 unchanged; 1 of 1 providers failed."), "\(typo)")
        }
    }

    /// A wix-data adapter connsync creates (and later prunes).
    static let madeAdapter = """
        apiVersion: connsync/v1
        kind: Connection
        metadata: {name: Made}
        spec:
          provider: wix
          options: {endpoint: https://made.example, configuration: {}}
        """

    static func turnOnPrune(_ workspace: Workspace) throws {
        try workspace.directory.write(
            workspace.providersYAML.replacingOccurrences(of: "  rateLimit: 100/s\n", with: "  rateLimit: 100/s\n  prune: true\n"), to: "config/providers.yaml")
    }

    @Test func pruneDeletesOnlyWhatConnsyncCreated() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wix-data": [["name": "ManualAdapter", "endpoint": "https://manual.example", "configuration": [:]]]
            ])
            try workspace.writeConfig(Self.madeAdapter)
            #expect(try await workspace.apply().status == 0)
            // Remove it from the desired state; prune is off: left alone.
            try workspace.writeConfig("")
            let kept = try await workspace.plan()
            #expect(kept.stdout.contains("wix/Made is no longer in the desired state; left alone (prune is off for wix)"))
            #expect(kept.stdout.contains("No changes."))
            // With prune on, connsync deletes what it created, never the manual one.
            try Self.turnOnPrune(workspace)
            let pruning = try await workspace.plan()
            #expect(pruning.stdout.contains("  - wix/Made  delete (DELETE)"))
            #expect(pruning.stdout.contains("Plan: 0 to create, 0 to update, 1 to delete, 0 unchanged."))
            #expect(try await workspace.apply().status == 0)
            let remaining = try await workspace.state()["wix-data"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(remaining == ["ManualAdapter"])
        }
    }

    /// A provider in scope only through state (prune, no desired connections left) is listed
    /// after state is read; when that listing fails, the plan says so, exits 1 and deletes nothing.
    @Test func aFailedListingOfAPruneOnlyProviderDeletesNothing() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.madeAdapter)
            #expect(try await workspace.apply().status == 0)
            try workspace.writeConfig("")
            try Self.turnOnPrune(workspace)
            try await workspace.fault(["vendor": "wix-data", "method": "GET", "count": 20, "status": 500])
            try await workspace.clearRequests()
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect((apply.stdout + apply.stderr).contains("wix"), "\(apply)")
            #expect(!apply.stdout.contains("delete (DELETE)"))
            #expect(try await workspace.writes().isEmpty)
            #expect(try await workspace.state()["wix-data"]?.arrayValue?.count == 1)
        }
    }

    @Test func noSecretInTextJSONMarkdownOrTheStateFile() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wix-data": [["name": "OrdersAdapter", "endpoint": "https://a.example", "configuration": ["secretKey": "an-old-secret-key"]]]
            ])
            let wix = """
                ---
                apiVersion: connsync/v1
                kind: Connection
                metadata: {name: OrdersAdapter}
                spec:
                  provider: wix
                  options: {endpoint: https://a.example, configuration: {secretKey: {fromEnv: WIX_SECRET_KEY}}}
                """
            try workspace.writeConfig(Self.fourVendors + wix)
            for format in ["text", "json", "markdown"] {
                let plan = try await workspace.plan(["--format", format])
                #expect(plan.status == 0)
                #expect(!plan.stdout.contains("an-old-secret-key"))
            }
            let json = try await workspace.plan(["--json"])
            let value = try Value(json: json.stdout)
            #expect(value["format_version"] == "1.0")
            let wixChange = try #require(value["resource_changes"]?.arrayValue?.first { $0["address"] == "wix/OrdersAdapter" })
            #expect(wixChange[path: "before.configuration.secretKey"] == "(sensitive)")
            #expect(wixChange[path: "after.configuration.secretKey"] == "(sensitive)")
            #expect(wixChange["sensitive_paths"] == ["configuration.secretKey"])
            #expect(try await workspace.apply(["--format", "json"]).status == 0)
            let state = workspace.stateFileText()
            #expect(!state.isEmpty)
            #expect(leakedSecrets(in: state, secrets: TestSecrets.all).isEmpty)
            let listed = try await workspace.run(["state", "list", "--state", "sqlite:\(workspace.statePath)"])
            #expect(listed.stdout.contains("wix/OrdersAdapter"))
            let shown = try await workspace.run(["state", "show", "wm/orders", "--state", "sqlite:\(workspace.statePath)"])
            #expect(shown.stdout.contains("password: (hash recorded)"))
        }
    }

    /// State is read while vendors are listed; when it cannot be read, plan and apply fail
    /// naming the state, and nothing is written anywhere.
    @Test func anUnreadableStateFailsThePlanAndWritesNothing() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            try Data("this is not an SQLite database, just text that is long enough to look like a header".utf8)
                .write(to: URL(fileURLWithPath: workspace.statePath))
            let plan = try await workspace.plan()
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("state"), "\(plan.stderr)")
            #expect(plan.stderr.contains(workspace.statePath) || plan.stderr.contains("state.db"), "\(plan.stderr)")
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(try await workspace.writes().isEmpty)
        }
    }

    @Test func invalidDesiredStateSendsNothing() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm", extra: "  port: 70000\n"))
            let plan = try await workspace.plan()
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("connections.yaml:7:9: Connection/orders: spec.port: must be between 1 and 65535 (got 70000)"))
            #expect(try await workspace.requests().isEmpty)
            workspace.environment["ORDERS_PASSWORD"] = nil
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let unresolved = try await workspace.apply()
            #expect(unresolved.status == 1)
            #expect(unresolved.stderr.contains("Database/orders: spec.password: environment variable ORDERS_PASSWORD is not set"))
            #expect(try await workspace.requests().isEmpty)
        }
    }
}
