import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// Grafana data sources end to end: the built binary against the emulator process, over
/// loopback, with the Provider's baseURL below a sub-path.
@Suite("Grafana end to end")
struct GrafanaTests {
    static let connection = Workspace.connection("orders", provider: "gf", extra: "  ssl: {mode: require}\n")

    /// A data source that drifted: an old host, the `postgres` alias, and fields connsync
    /// does not manage (a pool size, a basic-auth user, withCredentials).
    static func drifted(host: String = "orders-old.db.internal", version: Int = 3, readOnly: Bool = false) -> Value {
        [
            "uid": "orders", "name": "orders", "type": "postgres", "access": "proxy", "url": .string("\(host):5432"), "user": "app",
            "basicAuthUser": "keep-me", "withCredentials": true, "version": .int(version), "readOnly": .bool(readOnly),
            "jsonData": ["database": "orders", "sslmode": "require", "maxOpenConns": 25],
            "secureJsonData": ["password": "an-old-password", "tlsCACert": "-----BEGIN CERTIFICATE-----kept"],
        ]
    }

    func stored(_ workspace: Workspace) async throws -> Value {
        try #require(try await workspace.state()["grafana"]?.arrayValue?.first)
    }

    @Test func applyThenPlanIsCleanAndUnmanagedFieldsAreKept() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed(["grafana": [Self.drifted()]])
            try workspace.writeConfig(Self.connection)
            let plan = try await workspace.plan(["--detailed-exitcode"])
            #expect(plan.status == 2, "\(plan)")
            #expect(plan.stdout.contains("  ~ gf/orders  update in place (PUT)\n"))
            #expect(plan.stdout.contains("      ~ host: \"orders-old.db.internal\" -> \"orders.db.internal\"\n"))
            #expect(!plan.stdout.contains("engine"), "the postgres alias reads as the plugin id")
            #expect(!plan.stdout.contains("maxOpenConns") && !plan.stdout.contains("basicAuthUser"), "never shown as removed")
            // The plan is made from the list alone.
            #expect(try await workspace.requests().map { "\($0["method"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" } == ["GET /api/datasources"])
            try await workspace.clearRequests()
            let apply = try await workspace.apply()
            #expect(apply.status == 0, "\(apply)")
            // Apply reads the object by uid, then PUTs it whole with the version it read.
            let calls = try await workspace.requests()
            #expect(calls.map { "\($0["method"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" }.suffix(2) == [
                "GET /api/datasources/uid/orders", "PUT /api/datasources/uid/orders",
            ])
            let put = try #require(calls.last?["body"])
            #expect(put["version"] == 3)
            #expect(put[path: "secureJsonData.tlsCACert"] == nil, "a secret not being sent is not sent")
            let row = try await stored(workspace)
            #expect(row["url"] == "orders.db.internal:5432")
            #expect(row["type"] == "grafana-postgresql-datasource")
            #expect(row[path: "jsonData.maxOpenConns"] == 25 && row[path: "jsonData.sslmode"] == "require")
            #expect(row["basicAuthUser"] == "keep-me" && row["withCredentials"] == true)
            #expect(row[path: "secureJsonData.password"] == .string(TestSecrets.ordersPassword))
            #expect(row[path: "secureJsonData.tlsCACert"] == "-----BEGIN CERTIFICATE-----kept", "secureJsonData merges per key")
            let again = try await workspace.plan(["--detailed-exitcode"])
            #expect(again.status == 0, "\(again)")
            try await workspace.clearRequests()
            #expect(try await workspace.apply().status == 0)
            #expect(try await workspace.writes().isEmpty)
        }
    }

    @Test func aRotatedPasswordIsSentAndNothingElseDiffers() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.connection)
            let created = try await workspace.apply()
            #expect(created.status == 0, "\(created)")
            let post = try #require(try await workspace.writes().first?["body"])
            #expect(post["uid"] == "orders" && post["access"] == "proxy")
            workspace.environment["ORDERS_PASSWORD"] = TestSecrets.rotatedPassword
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("      ~ password: (sensitive value changed)\n"), "\(plan)")
            #expect(plan.stdout.contains("Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged."))
            #expect(try await workspace.apply().status == 0)
            #expect(try await stored(workspace)[path: "secureJsonData.password"] == .string(TestSecrets.rotatedPassword))
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)
        }
    }

    /// Applies the drifted data source, with `other` written at Grafana while the PUT is held.
    static func apply(_ workspace: Workspace, whileSomeoneWrites other: Value) async throws -> ProcessResult {
        try await workspace.seed(["grafana": [Self.drifted()]])
        try workspace.writeConfig(Self.connection)
        try await workspace.fault(["vendor": "grafana", "method": "PUT", "action": "hold", "count": 1])
        let apply = try workspace.backgroundApply()
        try await workspace.waitUntilFaultsAreTaken()
        try await workspace.seed(["grafana": [other]])
        try await workspace.releaseHeld()
        return try await apply.wait()
    }

    /// Someone else wrote the data source between apply's read and its PUT: Grafana's version
    /// lock answers 409; the fields connsync manages are as planned, so it reads again once
    /// and PUTs with the new version, keeping what the other writer set.
    @Test func aVersionConflictIsRetriedOnceWhenTheManagedFieldsAreUnchanged() async throws {
        try await Workspace.with { workspace in
            var other = Self.drifted(version: 9)
            other["basicAuthUser"] = "set-by-someone-else"
            let result = try await Self.apply(workspace, whileSomeoneWrites: other)
            #expect(result.status == 0, "\(result)")
            let puts = try await workspace.writes().filter { $0["method"] == "PUT" }
            #expect(puts.map { $0[path: "body.version"] } == [3, 9])
            let row = try await stored(workspace)
            #expect(row["url"] == "orders.db.internal:5432" && row["basicAuthUser"] == "set-by-someone-else")
        }
    }

    /// The other writer moved a field connsync manages: the change fails, nothing is sent over it.
    @Test func aVersionConflictOverAManagedFieldFailsTheChange() async throws {
        try await Workspace.with { workspace in
            let result = try await Self.apply(workspace, whileSomeoneWrites: Self.drifted(host: "moved-by-someone.internal", version: 9))
            #expect(result.status == 1, "\(result)")
            #expect(result.stdout.contains("✗ gf/orders failed: ") && result.stdout.contains("changed since the plan"), "\(result)")
            #expect(try await workspace.writes().filter { $0["method"] == "PUT" }.count == 1)
            #expect(try await stored(workspace)["url"] == "moved-by-someone.internal:5432")
        }
    }

    @Test func aReadOnlyDataSourceIsNotedAndNeverWritten() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed(["grafana": [Self.drifted(readOnly: true)]])
            try workspace.writeConfig(Self.connection)
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("# provisioned read-only at Grafana (readOnly: true)"), "\(plan)")
            let apply = try await workspace.apply()
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("✗ gf/orders refused, nothing sent: provisioned read-only at Grafana"), "\(apply)")
            #expect(try await workspace.writes().isEmpty)
            #expect(try await workspace.requests().allSatisfy { $0["path"] != "/api/datasources/uid/orders" })
        }
    }
}

extension Workspace {
    /// `connsync apply --auto-approve` running in the background, for tests that act while it is in flight.
    func backgroundApply() throws -> BackgroundProcess {
        try BackgroundProcess(
            try connsyncBinaryPath(), ["apply", "--auto-approve", "--dir", configDirectory, "--state", "sqlite:\(statePath)"],
            environment: environment)
    }
}
