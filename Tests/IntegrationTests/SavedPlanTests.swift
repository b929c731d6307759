import ConnSyncModel
import ConnSyncState
import Foundation
import TestSupport
import Testing

// Saved plans (`plan --out`, `apply PLANFILE`) with the built binary against the emulator.

@Suite("Saved plans")
struct SavedPlanTests {
    @Test func aStaleSavedPlanIsRefusedAndNothingIsSent() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let planFile = workspace.directory.url.appendingPathComponent("plan.json").path
            let plan = try await workspace.plan(["--out", planFile])
            #expect(plan.status == 0)
            let saved = try String(contentsOfFile: planFile, encoding: .utf8)
            #expect(leakedSecrets(in: saved, secrets: TestSecrets.all).isEmpty)
            // Someone creates the connection at the vendor in the meantime.
            try await workspace.seed([
                "wiremock-cloud": [
                    ["userId": "u1", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "x", "port": 1, "databaseName": "d", "username": "u"]
                ]
            ])
            try await workspace.clearRequests()
            let apply = try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"])
            #expect(apply.status == 1)
            // The refusal names what moved.
            #expect(apply.stderr.contains("the plan no longer matches: wm/orders changed at the vendor (the whole connection). Nothing was sent"), "\(apply)")
            #expect(try await workspace.writes().isEmpty)
        }
    }

    /// A plan saved by an earlier version (whose fingerprints were made differently) is refused
    /// as such, never misread as a plan whose Providers changed.
    @Test func aPlanSavedByAnotherVersionIsRefusedAsSuch() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let planFile = workspace.directory.url.appendingPathComponent("plan.json").path
            #expect(try await workspace.plan(["--out", planFile]).status == 0)
            let saved = try String(contentsOfFile: planFile, encoding: .utf8)
            #expect(saved.contains("\"version\": 2"))
            try saved.replacingOccurrences(of: "\"version\": 2", with: "\"version\": 1").write(toFile: planFile, atomically: true, encoding: .utf8)
            try await workspace.clearRequests()
            let apply = try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"])
            #expect(apply.status == 1)
            #expect(apply.stderr.contains("was saved by another version of connsync; plan again"), "\(apply)")
            #expect(try await workspace.requests().isEmpty)
        }
    }

    @Test func aFreshSavedPlanIsAppliedAndAChangedDesiredStateRefused() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let planFile = workspace.directory.url.appendingPathComponent("plan.json").path
            #expect(try await workspace.plan(["--out", planFile]).status == 0)
            let applied = try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"])
            #expect(applied.status == 0, "\(applied)")
            #expect(applied.stdout.contains("✓ wm/orders created (POST 201"))
            // The same file again: it says the plan was applied already.
            let again = try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"])
            #expect(again.status == 1)
            #expect(again.stderr.contains("this plan was already applied"), "\(again)")

            #expect(try await workspace.plan(["--out", planFile]).status == 0)
            workspace.environment["ORDERS_PASSWORD"] = TestSecrets.rotatedPassword
            try await workspace.clearRequests()
            let refused = try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("wm/orders changed in the desired state (a secret)"), "\(refused)")
            #expect(try await workspace.writes().isEmpty)
        }
    }

    /// A plan that is not saved skips the applied-value hashes; apply works them out for the
    /// records it writes, so state holds one either way.
    @Test func theAppliedValueHashIsRecordedWithOrWithoutASavedPlan() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("billing", provider: "wm"))
            let planFile = workspace.directory.url.appendingPathComponent("plan.json").path
            #expect(try await workspace.run(["plan", "--target", "wm/orders", "--out", planFile, "--state", "sqlite:\(workspace.statePath)"]).status == 0)
            #expect(try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"]).status == 0)
            #expect(try await workspace.apply().status == 0)
            let store = try SQLiteStateStore(path: workspace.statePath)
            let records = try await store.records()
            try await store.close()
            #expect(records.map(\.address.description) == ["wm/billing", "wm/orders"])
            for record in records {
                #expect(record.appliedValueHash?.count == 64, "\(record.address)")
            }
            #expect(Set(records.compactMap(\.appliedValueHash)).count == 2)

            // A connection already in step whose record apply brings in step (its remote id
            // forgotten here): a text apply drops the plan's views, and still records the hash.
            let forgetful = try SQLiteStateStore(path: workspace.statePath)
            var orders = try #require(records.last)
            orders.remoteID = nil
            orders.appliedValueHash = nil
            try await forgetful.upsert([orders])
            try await forgetful.close()
            #expect(try await workspace.apply().status == 0)
            let reopened = try SQLiteStateStore(path: workspace.statePath)
            let again = try await reopened.records()
            try await reopened.close()
            #expect(again.last?.remoteID != nil)
            #expect(again.last?.appliedValueHash == records.last?.appliedValueHash)
        }
    }
}
