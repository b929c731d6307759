import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// `connsync watch` tells the truth about failures and drift (issue: honest output).
@Suite("Controller: back-off, typed logs, drift")
struct WatchHonestyTests {
    /// The JSON log lines the controller printed so far.
    func logLines(_ fixture: ControllerFixture) -> [Value] {
        (fixture.controller?.stderr ?? "").split(separator: "\n").compactMap { try? Value(json: String($0)) }
    }

    @Test func aBrokenCommitWaitsOutTheBackOffUnlessTheRefMoves() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "good")
            try await fixture.start(interval: "1s", resync: "10m")
            #expect(try await fixture.eventually { try await fixture.call("GET", "/readyz").status == 200 })
            _ = try await fixture.commit("apiVersion: connsync/v1\nkind: [\n", message: "broken")
            #expect(try await fixture.eventually { logLines(fixture).contains { $0["msg"] == "cannot read the desired state" } })
            // Polls every second, but the back-off (5 s) is honoured: no second failed run.
            try await Task.sleep(for: .seconds(3))
            #expect(logLines(fixture).filter { $0["msg"] == "cannot read the desired state" }.count == 1)
            let backOff = try #require(logLines(fixture).first { $0["msg"] == "reconcile failed; retrying with back-off" })
            #expect(backOff["retry_in"]?.intValue == 5)
            #expect(backOff["failures"] == 1)
            // A new commit is not held back by the back-off.
            _ = try await fixture.commit(Workspace.connection("orders", provider: "cd"), message: "fixed")
            #expect(try await fixture.eventually { try await workspace.state()["credible-data"]?.arrayValue?.count == 1 })
            #expect(try await fixture.stop() == 0)
        }
    }

    @Test func jsonLogsAreTypedAndDriftShowsOldAndNewValues() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wiremock-cloud": [
                    ["userId": "u1", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "old.db.internal", "port": 5432, "databaseName": "orders", "username": "app"]
                ]
            ])
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start()
            #expect(try await fixture.eventually { logLines(fixture).contains { $0["msg"] == "reconcile finished" } })
            let lines = logLines(fixture)
            let finished = try #require(lines.first { $0["msg"] == "reconcile finished" })
            #expect({ if case .double? = finished["duration"] { true } else if case .int? = finished["duration"] { true } else { false } }(), "\(finished)")
            let planned = try #require(lines.first { $0["msg"] == "planned" })
            #expect(planned["update"] == 1)
            let drift = lines.filter { $0["msg"] == "drift" }
            #expect(drift.contains { $0["field"] == "host" && $0["change"] == "\"old.db.internal\" -> \"orders.db.internal\"" }, "\(drift)")
            #expect(drift.contains { $0["field"] == "password" && $0["change"] == "(sensitive value, not yet applied by connsync)" })
            #expect(try await fixture.stop() == 0)
            #expect(leakedSecrets(in: fixture.controller!.stderr, secrets: TestSecrets.all).isEmpty)
        }
    }

    @Test func driftIsStillMeasuredWhileTheSourceIsBroken() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "good")
            try await fixture.start(interval: "1s", resync: "10m")
            #expect(try await fixture.eventually { try await workspace.state()["wiremock-cloud"]?.arrayValue?.count == 1 })
            // Someone edits the connection at the vendor; then a broken commit lands.
            let id = try #require(try await workspace.state()["wiremock-cloud"]?.arrayValue?.first?["id"]?.stringValue)
            _ = try await workspace.admin.send(
                HTTPRequest(
                    method: "PATCH", url: workspace.base + "/v1/database-connections/\(id)",
                    headers: HTTPHeaders([("Authorization", "Token \(TestSecrets.wiremockToken)")]),
                    body: try Value.object([
                        "databaseConnection": [
                            "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "hand-edited.internal", "port": 5432,
                            "databaseName": "orders", "username": "app",
                        ]
                    ]).jsonData()))
            _ = try await fixture.commit("apiVersion: connsync/v1\nkind: [\n", message: "broken")
            #expect(try await fixture.eventually {
                String(decoding: try await fixture.call("GET", "/metrics").body, as: UTF8.self).contains("connsync_drifted_connections 1")
            })
            #expect(logLines(fixture).contains { $0["msg"] == "the source is broken: drift measured against the last commit that loaded" })
            #expect(try await fixture.stop() == 0)
        }
    }
}
