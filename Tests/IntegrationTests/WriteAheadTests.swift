import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// State is written ahead of every request (cli.md v1.1, "Trust"): a run killed mid-apply
/// leaves state matching the vendors, and a state file that breaks is never taken for new.
@Suite("Trust: state written ahead")
struct WriteAheadTests {
    static let three = ["orders-a", "orders-b", "orders-c"].map { Workspace.connection($0, provider: "wm") }.joined(separator: "---\n")

    /// Providers with prune on at wm.
    func pruning(_ workspace: Workspace) -> String {
        workspace.providersYAML.replacingOccurrences(of: "  userId: u1\n", with: "  userId: u1\n  prune: true\n")
    }

    @Test func aKilledApplyLeavesRecordsThatARerunAdoptsAndPruneRemoves() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.three)
            try workspace.directory.write(pruning(workspace), to: "config/providers.yaml")
            // One create is held at the vendor until the test lets it go; the other two complete,
            // then the apply is killed while the held one hangs.
            try await workspace.fault(["vendor": "wiremock-cloud", "method": "POST", "action": "hold", "count": 1])
            let apply = try BackgroundProcess(
                try connsyncBinaryPath(),
                ["apply", "--auto-approve", "--dir", workspace.configDirectory, "--state", "sqlite:\(workspace.statePath)"],
                environment: workspace.environment)
            try await workspace.waitUntilFaultsAreTaken()
            let deadline = ContinuousClock.now + .seconds(40)
            while try await workspace.requests().filter({ $0["method"] == "POST" && $0["status"] == 201 }).count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            _ = try await apply.stop(signal: SIGKILL)

            // Every connection being created is recorded as created by connsync.
            let listed = try await workspace.run(["state", "list", "--json", "--state", "sqlite:\(workspace.statePath)"])
            let records = try Value(json: listed.stdout).arrayValue ?? []
            #expect(records.count == 3, "\(listed)")
            #expect(records.allSatisfy { $0["created_by_connsync"] == true })
            #expect(records.contains { $0["pending"] == "create" })

            // The hung create completes at the vendor; a rerun adopts it instead of creating it again.
            try await workspace.releaseHeld()
            while (try await workspace.state()["wiremock-cloud"]?.arrayValue?.count ?? 0) < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let plan = try await workspace.plan()
            #expect(plan.stdout.contains("No changes. 3 connections up to date."), "\(plan)")
            try await workspace.clearRequests()
            #expect(try await workspace.apply().status == 0)
            let adopted = try Value(json: try await workspace.run(["state", "list", "--json", "--state", "sqlite:\(workspace.statePath)"]).stdout)
            #expect(adopted.arrayValue?.allSatisfy { $0["pending"] == .null && $0["remote_id"] != .null } == true)

            // Prune still knows what connsync created: removing them from the desired state deletes all three.
            try workspace.directory.write(Workspace.connection("other", provider: "cd"), to: "config/connections.yaml")
            let pruned = try await workspace.apply()
            #expect(pruned.stdout.contains("Apply complete: 1 created, 0 updated, 3 deleted, 0 failed."), "\(pruned)")
            #expect(try await workspace.state()["wiremock-cloud"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func aStateFileDeletedMidApplyIsAnErrorAndNothingMoreIsSent() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.three)
            // Held at the vendor until the test lets it go: the apply is still waiting for it
            // when the state file goes, however slowly a loaded machine runs.
            try await workspace.fault(["vendor": "wiremock-cloud", "method": "POST", "action": "hold", "count": 1])
            async let apply = workspace.apply()
            try await workspace.waitUntilFaultsAreTaken()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: workspace.statePath + suffix) }
            try await workspace.releaseHeld()
            let result = try await apply
            #expect(result.status == 1)
            #expect(result.stderr.contains("state file \(workspace.statePath) was deleted"), "\(result)")
        }
    }

    @Test func anEmptyStateFileIsAnErrorAndNothingIsSent() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Self.three)
            #expect(FileManager.default.createFile(atPath: workspace.statePath, contents: Data()))
            let plan = try await workspace.plan()
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("is empty (0 bytes), so it is not taken as new state"))
            #expect(try await workspace.requests().isEmpty)
        }
    }
}

@Suite("Trust: webhook deliveries")
struct WebhookReplayTests {
    @Test func aRepeatedDeliveryAnswersDuplicateAndTriggersNothing() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start()
            #expect(try await fixture.eventually { try await fixture.call("GET", "/readyz").status == 200 })
            let before = try await fixture.runCount()
            let body = Data(#"{"ref":"refs/heads/main"}"#.utf8)
            let headers = [("X-Hub-Signature-256", ControllerFixture.githubSignature(body)), ("X-GitHub-Delivery", "delivery-1")]
            #expect(try await fixture.call("POST", "/hooks/git", headers: headers, body: body).status == 202)
            #expect(try await fixture.eventually { try await fixture.runCount() == before + 1 })
            let replay = try await fixture.call("POST", "/hooks/git", headers: headers, body: body)
            #expect(replay.status == 200)
            #expect(String(decoding: replay.body, as: UTF8.self).contains("duplicate"))
            let gitlab = [("X-Gitlab-Token", ControllerFixture.webhookSecret), ("X-Gitlab-Event-UUID", "uuid-1")]
            #expect(try await fixture.call("POST", "/hooks/git", headers: gitlab, body: body).status == 202)
            #expect(try await fixture.call("POST", "/hooks/git", headers: gitlab, body: body).status == 200)
            #expect(try await fixture.eventually { try await fixture.runCount() == before + 2 })
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await fixture.runCount() == before + 2)
            #expect(try await fixture.stop() == 0)
        }
    }
}
