import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// What a CI log reader, a PR reviewer and a newcomer see (cli.md v1.1, "Honest summaries").
@Suite("Honest output")
struct HonestOutputTests {
    @Test func whenEveryVendorFailsThePlanSaysIncompleteInEveryFormat() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(ReconcileBehaviourTests.fourVendors)
            let closed = try CaptureServer()
            let url = closed.url
            closed.stop()
            try await Task.sleep(for: .milliseconds(100))
            try workspace.directory.write(workspace.providersYAML.replacingOccurrences(of: workspace.base, with: url), to: "config/providers.yaml")
            let text = try await workspace.plan()
            #expect(text.status == 1)
            #expect(text.stdout.contains("Plan incomplete: 0 to create, 0 to update, 0 to delete, 0 unchanged; 4 of 4 providers failed."), "\(text)")
            #expect(!text.stdout.contains("No changes"))
            let markdown = try await workspace.plan(["--format", "markdown"])
            let lines = markdown.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("**Plan incomplete: 0 to create, 0 to update, 0 to delete, 0 unchanged; 4 of 4 providers failed.**"))
            #expect(markdown.stdout.range(of: "Plan incomplete")!.lowerBound < markdown.stdout.range(of: "> [!CAUTION]")!.lowerBound)
            let json = try Value(json: try await workspace.plan(["--format", "json"]).stdout)
            #expect(json[path: "summary.complete"] == false)
            #expect(json["errors"]?.arrayValue?.count == 4)
            // And a complete plan says so too.
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let complete = try Value(json: try await workspace.plan(["--format", "json"]).stdout)
            #expect(complete[path: "summary.complete"] == true)
        }
    }

    /// The JSON plan shows an unchanged connection in full, its views included, although a
    /// text plan no longer holds them (memory at 50,000 connections; see HashingTests).
    @Test func theJSONPlanShowsUnchangedConnectionsInFull() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            #expect(try await workspace.apply().status == 0)
            let text = try await workspace.plan()
            #expect(text.stdout.contains("No changes. 1 connection up to date."), "\(text)")
            let json = try Value(json: try await workspace.plan(["--format", "json"]).stdout)
            let change = try #require(json["resource_changes"]?.arrayValue?.first)
            #expect(change["actions"] == ["no-op"])
            #expect(change[path: "before.host"] == "orders.db.internal", "\(change)")
            #expect(change[path: "after.host"] == "orders.db.internal", "\(change)")
        }
    }

    @Test func anEmptyOrMistypedSourceIsAnError() async throws {
        try await Workspace.with { workspace in
            let empty = workspace.directory.url.appendingPathComponent("emptydir").path
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            for command in [["validate"], ["plan"], ["apply", "--auto-approve"]] {
                let result = try await workspace.run(command + ["--dir", empty])
                #expect(result.status == 1, "\(command)")
                #expect(result.stderr.contains("Error: \(empty) holds no connsync document"), "\(result)")
            }
            let allowed = try await workspace.run(["validate", "--dir", empty, "--allow-empty"])
            #expect(allowed.status == 0)
        }
    }

    @Test func thePlanNamesItsStateAndANewStateIsAnnounced() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let elsewhere = workspace.directory.url.appendingPathComponent("elsewhere").path
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            let first = try await runConnsync(["plan", "--dir", workspace.configDirectory], environment: workspace.environment, currentDirectory: elsewhere)
            #expect(first.stdout.hasPrefix("connsync plan · source \(workspace.configDirectory) · 1 connection · 7 providers · state sqlite:\(elsewhere)/.connsync/state.db\n"), "\(first)")
            #expect(first.stderr.contains("Note: created a new state at sqlite:.connsync/state.db"))
            #expect(FileManager.default.contents(atPath: elsewhere + "/.connsync/.gitignore") == Data("*\n".utf8))
            let second = try await runConnsync(["plan", "--dir", workspace.configDirectory], environment: workspace.environment, currentDirectory: elsewhere)
            #expect(!second.stderr.contains("created a new state"))
            // A PostgreSQL URL is shown without its credentials.
            let postgres = try await workspace.run(["plan", "--state", "postgres://app:pg-pass-77@127.0.0.1:1/state"])
            #expect(!postgres.stdout.contains("pg-pass-77") && !postgres.stderr.contains("pg-pass-77"))
        }
    }

    @Test func unlockForceRefusesWhileTheHolderRuns() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "cd"))
            // The create is held at the vendor until the test lets it go: the apply holds the lock meanwhile.
            try await workspace.fault(["vendor": "credible-data", "method": "POST", "action": "hold", "count": 1])
            async let slow = workspace.apply()
            try await workspace.waitUntilFaultsAreTaken()
            let refused = try await workspace.run(["state", "unlock", "--force", "--state", "sqlite:\(workspace.statePath)"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("that process is still running on this host: refusing to break its lock"), "\(refused)")
            try await workspace.releaseHeld()
            #expect(try await slow.status == 0)
            let free = try await workspace.run(["state", "unlock", "--force", "--state", "sqlite:\(workspace.statePath)"])
            #expect(free.stdout.contains("The state is not locked."))
        }
    }

    @Test func ctrlCDuringApplySaysWhatWasDoneRecordsItAndReleasesTheLock() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(WriteAheadTests.three)
            try workspace.directory.write(
                workspace.providersYAML.replacingOccurrences(of: "  userId: u1\n", with: "  userId: u1\n  concurrency: 1\n"), to: "config/providers.yaml")
            // The first create is held at the vendor until the test lets it go: Ctrl-C arrives while it is in flight.
            try await workspace.fault(["vendor": "wiremock-cloud", "method": "POST", "action": "hold", "count": 1])
            let apply = try BackgroundProcess(
                try connsyncBinaryPath(), ["apply", "--auto-approve", "--dir", workspace.configDirectory, "--state", "sqlite:\(workspace.statePath)"],
                environment: workspace.environment)
            try await workspace.waitUntilFaultsAreTaken()
            let status = try await apply.stop(signal: SIGINT)
            try await workspace.releaseHeld()
            #expect(status == 1)
            #expect(apply.stderr.contains("Interrupted (SIGINT): sending nothing more"))
            #expect(apply.stdout.contains("Apply interrupted: 0 created, 0 updated, 0 deleted, 1 failed, 2 not sent."), "\(apply.stdout)")
            #expect(apply.stdout.contains("Not sent (2):"))
            let history = try await workspace.run(["state", "history", "--json", "--state", "sqlite:\(workspace.statePath)"])
            #expect(try Value(json: history.stdout).arrayValue?.first?["command"] == "connsync apply (interrupted)")
            let unlock = try await workspace.run(["state", "unlock", "--state", "sqlite:\(workspace.statePath)"])
            #expect(unlock.stdout.contains("The state is not locked."))
        }
    }

    @Test func reimportingIntoTheSourceIsIdempotent() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wiremock-cloud": [
                    ["userId": "u1", "connectionName": "crm-a", "databaseType": "MYSQL", "host": "crm.db", "port": 3306, "databaseName": "crm", "username": "app"],
                    ["userId": "u1", "connectionName": "crm-b", "databaseType": "MYSQL", "host": "crm.db", "port": 3306, "databaseName": "crm", "username": "app"],
                ]
            ])
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let out = workspace.configDirectory + "/imported"
            for _ in 0..<3 {
                let result = try await workspace.run(["import", "--provider", "wm", "--dir", workspace.configDirectory, "--out", out])
                #expect(result.status == 0, "\(result)")
            }
            let databases = try FileManager.default.contentsOfDirectory(atPath: out + "/databases")
            #expect(databases == ["crm.yaml"])
        }
    }

    @Test func outputConventionsHold() async throws {
        let bare = try await runConnsync([])
        #expect(bare.status == 0)
        #expect(bare.stdout.contains("OVERVIEW:"))
        let usage = try await runConnsync(["plan", "--bogus"])
        #expect(usage.status == 64)
        #expect(usage.stderr.hasPrefix("Error: "))
        // A duration too large to convert is a usage error, not a crash.
        for flags in [
            ["plan", "--request-timeout", "1e300"], ["plan", "--lock-timeout", "inf"], ["plan", "--request-timeout", "9999999999999h"],
            ["watch", "--interval", "8761h"], ["watch", "--resync", "0s"],
        ] {
            let absurd = try await runConnsync(flags)
            #expect(absurd.status == 64, "\(flags): \(absurd)")
            #expect(absurd.stderr.contains("\(flags[1]) takes a duration of at most a year"), "\(flags): \(absurd)")
        }
        for command in [["validate"], ["state", "list"], ["state", "show", "a/b"], ["state", "history"]] {
            #expect(try await runConnsync(command + ["--help"]).stdout.contains("--lock-timeout") == false, "\(command)")
        }
        #expect(try await runConnsync(["plan", "--help"]).stdout.contains("--lock-timeout"))
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm", extra: "  port: 70000"))
            let invalid = try await workspace.run(["validate", "--dir", workspace.configDirectory])
            #expect(invalid.stderr.split(separator: "\n").first?.hasPrefix("Error: ") == true, "\(invalid)")
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let notSaved = try await workspace.plan(["--out", "/nonexistent/dir/p.json"])
            #expect(notSaved.status == 1)
            #expect(notSaved.stderr.contains("Error: the plan was not saved: cannot write /nonexistent/dir/p.json: its folder does not exist"), "\(notSaved)")
            #expect(!notSaved.stderr.contains("NSCocoaErrorDomain"))
        }
    }

    @Test func theDemoWorksFromAnyFolder() async throws {
        let folder = try TemporaryDirectory(prefix: "connsync-demo-cwd")
        defer { folder.remove() }
        let demo = try await runConnsync(["demo", "--no-color"], environment: ["NO_COLOR": "1"], currentDirectory: folder.path)
        #expect(demo.status == 0, "\(demo)")
        #expect(demo.stdout.contains("No changes. 7 connections up to date."))
    }

    @Test func theProgressLineMovesDuringALongWait() async throws {
        let workspace = try await Workspace.start(extraEmulatorArguments: ["--latency-ms", "1600"])
        defer { Task { await workspace.close() } }
        try workspace.writeConfig(Workspace.connection("orders", provider: "cd"))
        // A pseudo-terminal (util-linux `script`), so that stderr is a terminal.
        var environment = workspace.environment
        environment["NO_COLOR"] = "1"
        let command = [try connsyncBinaryPath(), "plan", "--dir", workspace.configDirectory, "--state", "sqlite:\(workspace.statePath)"]
            .map { "'\($0)'" }.joined(separator: " ")
        let typescript = workspace.directory.url.appendingPathComponent("tty.txt").path
        let result = try await runProcess("/usr/bin/script", ["-qfec", command, typescript], environment: environment)
        #expect(result.status == 0, "\(result)")
        let screen = String(decoding: FileManager.default.contents(atPath: typescript) ?? Data(), as: UTF8.self)
        let refreshes = screen.components(separatedBy: "observing 0/1 providers · ").count - 1
        #expect(refreshes >= 2, "\(screen)")
    }
}
