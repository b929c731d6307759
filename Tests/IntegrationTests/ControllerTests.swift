import ConnSyncModel
import ConnSyncProviders
import Crypto
import Foundation
import TestSupport
import Testing

/// A git repository of desired state pointed at the workspace's emulator, and a running
/// `connsync watch` on it.
final class ControllerFixture: @unchecked Sendable {
    let workspace: Workspace
    let repository: String
    var controller: BackgroundProcess?
    var url = ""
    static let webhookSecret = "hook-secret-3f9"

    init(workspace: Workspace) {
        self.workspace = workspace
        repository = workspace.directory.url.appendingPathComponent("gitops").path
    }

    func commit(_ connections: String, message: String) async throws -> String {
        if !FileManager.default.fileExists(atPath: repository + "/.git") {
            try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
            try await git(["init", "-q", "-b", "main"], in: repository)
        }
        try workspace.directory.write(workspace.providersYAML, to: "gitops/connsync/providers.yaml")
        try workspace.directory.write(Workspace.ordersDatabase, to: "gitops/connsync/databases.yaml")
        try workspace.directory.write(connections, to: "gitops/connsync/connections.yaml")
        try await git(["add", "-A"], in: repository)
        try await git(["commit", "-q", "--allow-empty", "-m", message], in: repository)
        return try await git(["rev-parse", "HEAD"], in: repository)
    }

    func start(interval: String = "30s", resync: String = "30s", extra: [String] = [], state: String? = nil) async throws {
        var environment = workspace.environment
        environment["HOOK_SECRET"] = Self.webhookSecret
        let process = try BackgroundProcess(
            try connsyncBinaryPath(),
            [
                "watch", "--repo", repository, "--ref", "main", "--path", "connsync", "--interval", interval, "--resync", resync,
                "--listen", "127.0.0.1:0", "--webhook-secret-env", "HOOK_SECRET", "--state", state ?? "sqlite:\(workspace.statePath)",
                "--log-format", "json",
            ] + extra, environment: environment)
        controller = process
        url = try await process.waitForListeningURL()
    }

    func call(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> HTTPResponse {
        try await workspace.admin.send(HTTPRequest(method: method, url: url + path, headers: HTTPHeaders(headers), body: body))
    }

    static func githubSignature(_ body: Data, secret: String = webhookSecret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// `connsync_reconcile_total` summed over results, from /metrics.
    func runCount() async throws -> Int {
        let text = String(decoding: try await call("GET", "/metrics").body, as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix("connsync_reconcile_total{") && !$0.contains("result=\"unchanged\"") }
            .compactMap { Double($0.split(separator: " ").last ?? "").map(Int.init) }.reduce(0, +)
    }

    func stop() async throws -> Int32 {
        try await controller?.stop(signal: SIGTERM) ?? 0
    }
}

@Suite("Controller (connsync watch)")
struct ControllerTests {
    @Test func aSignedWebhookAfterACommitConvergesTheVendors() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start()
            #expect(try await fixture.eventually { try await workspace.state()["wiremock-cloud"]?.arrayValue?.count == 1 })
            #expect(try await fixture.call("GET", "/readyz").status == 200)
            #expect(try await fixture.call("GET", "/healthz").status == 200)

            let second = try await fixture.commit(
                Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders-reporting", provider: "rep"), message: "second")
            let body = Data(#"{"ref":"refs/heads/main","after":"\#(second)"}"#.utf8)
            let accepted = try await fixture.call(
                "POST", "/hooks/git", headers: [("X-Hub-Signature-256", ControllerFixture.githubSignature(body)), ("X-GitHub-Event", "push")], body: body)
            #expect(accepted.status == 202)
            #expect(try await fixture.eventually { try await workspace.state()["lerian-reporter"]?.arrayValue?.count == 1 })
            let metrics = String(decoding: try await fixture.call("GET", "/metrics").body, as: UTF8.self)
            #expect(try await fixture.eventually {
                String(decoding: try await fixture.call("GET", "/metrics").body, as: UTF8.self).contains("connsync_last_applied_commit_info{commit=\"\(second)\"} 1")
            })
            #expect(metrics.contains("connsync_changes_applied_total{provider=\"wm\",action=\"create\"} 1"))
            #expect(try await fixture.stop() == 0)
            #expect(leakedSecrets(in: fixture.controller!.stdout + fixture.controller!.stderr, secrets: TestSecrets.all).isEmpty)
        }
    }

    @Test func forgedUnsignedOrOversizedWebhooksAreRefusedAndTriggerNothing() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start()
            #expect(try await fixture.eventually { try await fixture.call("GET", "/readyz").status == 200 })
            let before = try await fixture.runCount()
            let body = Data(#"{"ref":"refs/heads/main"}"#.utf8)
            let cases: [([(String, String)], Data)] = [
                ([], body),
                ([("X-Hub-Signature-256", ControllerFixture.githubSignature(body, secret: "forged"))], body),
                ([("X-Hub-Signature-256", "sha256=zz")], body),
                ([("X-Hub-Signature-256", ControllerFixture.githubSignature(Data("other body".utf8)))], body),
                ([("X-Gitlab-Token", "wrong-token")], body),
            ]
            for (headers, payload) in cases {
                #expect(try await fixture.call("POST", "/hooks/git", headers: headers, body: payload).status == 401)
            }
            let large = Data(repeating: 0x41, count: (1 << 20) + 10)
            #expect(try await fixture.call("POST", "/hooks/git", headers: [("X-Hub-Signature-256", ControllerFixture.githubSignature(large))], body: large).status == 413)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await fixture.runCount() == before)
            // GitLab's token is accepted.
            #expect(try await fixture.call("POST", "/hooks/git", headers: [("X-Gitlab-Token", ControllerFixture.webhookSecret)], body: body).status == 202)
            #expect(try await fixture.eventually { try await fixture.runCount() == before + 1 })
            #expect(try await fixture.stop() == 0)
        }
    }

    @Test func driftAtTheVendorIsCorrectedAtTheNextResync() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start(interval: "30s", resync: "1s")
            #expect(try await fixture.eventually { try await workspace.state()["wiremock-cloud"]?.arrayValue?.first?["host"] == "orders.db.internal" })
            // Someone edits the connection in the vendor's console.
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
            // The controller puts it back at a resync: our PATCH, then its own.
            #expect(try await fixture.eventually {
                let patches = try await workspace.requests().filter { $0["method"] == "PATCH" }
                let host = try await workspace.state()["wiremock-cloud"]?.arrayValue?.first?["host"]
                return patches.count >= 2 && host == "orders.db.internal"
            })
            let patches = try await workspace.requests().filter { $0["method"] == "PATCH" }
            #expect(patches.first?[path: "body.databaseConnection.host"] == "hand-edited.internal")
            #expect(patches.last?[path: "body.databaseConnection.host"] == "orders.db.internal")
            #expect(try await fixture.stop() == 0)
        }
    }

    @Test func aNewCommitIsPickedUpByPollingWithoutAWebhook() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start(interval: "1s", resync: "10m")
            #expect(try await fixture.eventually { try await workspace.state()["wiremock-cloud"]?.arrayValue?.count == 1 })
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm") + "---\n" + Workspace.connection("orders", provider: "cd"), message: "credible")
            #expect(try await fixture.eventually { try await workspace.state()["credible-data"]?.arrayValue?.count == 1 })
            #expect(try await fixture.stop() == 0)
        }
    }

    @Test func sigtermExitsZeroAndReleasesTheLock() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            // Slow vendor: SIGTERM arrives while the run is in flight.
            try await workspace.fault(["vendor": "wiremock-cloud", "action": "delay", "delayMs": 1500, "count": 1])
            try await fixture.start()
            try await workspace.waitUntilFaultsAreTaken()  // the delayed call is in flight
            #expect(try await fixture.stop() == 0)
            let lines = fixture.controller!.stderr
            #expect(lines.contains("shutting down"))
            let unlock = try await workspace.run(["state", "unlock", "--state", "sqlite:\(workspace.statePath)"])
            #expect(unlock.stdout.contains("The state is not locked."))
            // The run in progress was finished, not abandoned.
            #expect(try await workspace.state()["wiremock-cloud"]?.arrayValue?.count == 1)
        }
    }

    @Test func metricsParseAsPrometheusTextAndCountRuns() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            try await fixture.start(resync: "1s")
            #expect(try await fixture.eventually { try await fixture.runCount() >= 3 })
            let response = try await fixture.call("GET", "/metrics")
            #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(decoding: response.body, as: UTF8.self)
            var names = Set<String>()
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
                // metric_name{label="value",...} number
                let pattern = #/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? -?[0-9.eE+]+|[+-]Inf|NaN$/#
                #expect(String(line).wholeMatch(of: pattern) != nil, "not Prometheus text: \(line)")
                names.insert(String(line.prefix { $0 != "{" && $0 != " " }))
            }
            for expected in ["connsync_reconcile_total", "connsync_reconcile_duration_seconds_count", "connsync_drifted_connections", "connsync_changes_applied_total", "connsync_last_applied_commit_info"] {
                #expect(names.contains(expected), "\(expected) missing")
            }
            #expect(try await fixture.stop() == 0)
        }
    }

    @Test func withoutASecretThereIsNoWebhook() async throws {
        try await Workspace.with { workspace in
            let fixture = ControllerFixture(workspace: workspace)
            _ = try await fixture.commit(Workspace.connection("orders", provider: "wm"), message: "first")
            workspace.environment["EMPTY_SECRET"] = ""
            var environment = workspace.environment
            environment["EMPTY_SECRET"] = ""
            let process = try BackgroundProcess(
                try connsyncBinaryPath(),
                ["watch", "--repo", fixture.repository, "--path", "connsync", "--listen", "127.0.0.1:0", "--webhook-secret-env", "EMPTY_SECRET", "--state", "sqlite:\(workspace.statePath)"],
                environment: environment)
            fixture.controller = process
            fixture.url = try await process.waitForListeningURL()
            #expect(try await fixture.call("POST", "/hooks/git", body: Data("{}".utf8)).status == 404)
            #expect(try await fixture.stop() == 0)
        }
    }
}

@Suite("Shared PostgreSQL state")
struct SharedStateTests {
    @Test func twoAppliesAtOnceApplyOnceTheOtherWaits() async throws {
        try await Workspace.with { workspace in
            let schema = "race_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            guard let base = ProcessInfo.processInfo.environment["CONNSYNC_TEST_POSTGRES_URL"], !base.isEmpty else {
                Issue.record("CONNSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`")
                return
            }
            let state = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
            try workspace.writeConfig(ReconcileBehaviourTests.fourVendors)
            // A slow vendor keeps the first apply in its critical section for a while.
            try await workspace.fault(["vendor": "credible-data", "method": "POST", "action": "delay", "delayMs": 800, "count": 1])
            async let first = workspace.run(["apply", "--auto-approve", "--state", state, "--lock-timeout", "60s"])
            async let second = workspace.run(["apply", "--auto-approve", "--state", state, "--lock-timeout", "60s"])
            let results = try await [first, second]
            #expect(results.allSatisfy { $0.status == 0 }, "\(results)")
            // Every connection was created exactly once; the later apply found nothing to do.
            let creates = try await workspace.writes().filter { $0["method"] == "POST" }
            #expect(creates.count == 4)
            #expect(results.contains { $0.stdout.contains("No changes. 4 connections up to date.") })
            #expect(!state.isEmpty)
        }
    }

    @Test func aSecondApplyGivesUpAfterTheLockTimeoutSayingWhoHoldsIt() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "cd"))
            // Held at the vendor until the test lets it go: the second process, however slowly a
            // loaded machine starts it, meets the lock still held (it gives up after 200 ms).
            try await workspace.fault(["vendor": "credible-data", "method": "POST", "action": "hold", "count": 1])
            async let slow = workspace.run(["apply", "--auto-approve"])
            // The held POST is in flight: the first apply holds the lock (it locks before sending).
            try await workspace.waitUntilFaultsAreTaken()
            let impatient = try await workspace.run(["apply", "--auto-approve", "--lock-timeout", "200ms"])
            #expect(impatient.status == 1)
            #expect(impatient.stderr.contains("the state is locked by connsync apply (pid"))
            try await workspace.releaseHeld()
            #expect(try await slow.status == 0)
        }
    }
}
