import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// Secrets the integration tests use: none of them may ever appear in any output.
enum TestSecrets {
    static let wiremockToken = "wm-api-key-7f3a"
    static let reporterToken = "reporter-jwt-91bc"
    static let credibleToken = "credible-token-22de"
    static let dataforPassword = "datafor-admin-pw-5e1"
    static let wixToken = "wix-site-token-0c4"
    static let ordersPassword = "Orders-DB-pass-2026!"
    static let rotatedPassword = "Rotated-DB-pass-2027!"
    static let wixSecretKey = "wix-secret-key-6a8b"
    static let grafanaToken = "glsa_grafana-sa-token-3d9f"
    static let metabaseKey = "mb_metabase-api-key-8c2e"

    static var all: [String] {
        [wiremockToken, reporterToken, credibleToken, dataforPassword, wixToken, ordersPassword, rotatedPassword, wixSecretKey, grafanaToken, metabaseKey]
    }

    static var environment: [String: String?] {
        [
            "WM_TOKEN": wiremockToken, "REPORTER_TOKEN": reporterToken, "CREDIBLE_TOKEN": credibleToken, "DATAFOR_PASSWORD": dataforPassword,
            "WIX_TOKEN": wixToken, "ORDERS_PASSWORD": ordersPassword, "WIX_SECRET_KEY": wixSecretKey, "GRAFANA_TOKEN": grafanaToken,
            "METABASE_API_KEY": metabaseKey, "NO_COLOR": "1",
        ]
    }
}

/// A folder of desired state, a `connsync emulator` process on a free port, and the built
/// binary run against both with a SQLite state in the folder.
final class Workspace: @unchecked Sendable {
    let directory: TemporaryDirectory
    let emulator: BackgroundProcess
    let base: String
    let admin: NIOHTTPTransport
    var environment: [String: String?] = TestSecrets.environment

    static func start(extraEmulatorArguments: [String] = []) async throws -> Workspace {
        let directory = try TemporaryDirectory(prefix: "connsync-it")
        let emulator = try BackgroundProcess(
            try connsyncBinaryPath(),
            [
                "emulator", "--port", "0", "--wiremock-token", TestSecrets.wiremockToken, "--reporter-token", TestSecrets.reporterToken,
                "--credible-token", TestSecrets.credibleToken, "--datafor-user", "admin", "--datafor-password", TestSecrets.dataforPassword,
                "--wix-token", TestSecrets.wixToken, "--grafana-token", TestSecrets.grafanaToken, "--metabase-api-key", TestSecrets.metabaseKey,
            ] + extraEmulatorArguments)
        let base = try await emulator.waitForListeningURL()
        return Workspace(directory: directory, emulator: emulator, base: base)
    }

    init(directory: TemporaryDirectory, emulator: BackgroundProcess, base: String) {
        self.directory = directory
        self.emulator = emulator
        self.base = base
        admin = NIOHTTPTransport(maximumConnectionsPerHost: 2)
    }

    func close() async {
        await admin.shutdown()
        _ = try? await emulator.stop()
        directory.remove()
    }

    /// Runs `body` with a fresh workspace, closing it afterwards.
    static func with<T>(_ body: (Workspace) async throws -> T) async throws -> T {
        let workspace = try await start()
        do {
            let result = try await body(workspace)
            await workspace.close()
            return result
        } catch {
            await workspace.close()
            throw error
        }
    }

    var configDirectory: String { directory.url.appendingPathComponent("config").path }
    var statePath: String { directory.url.appendingPathComponent("state.db").path }

    // MARK: desired state

    /// Providers for every vendor, pointed at the emulator (Grafana and Metabase below a sub-path).
    var providersYAML: String {
        """
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: wm}
        spec:
          type: wiremock-cloud
          baseURL: \(base)
          userId: u1
          auth: {token: {fromEnv: WM_TOKEN}}
        ---
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: rep}
        spec:
          type: lerian-reporter
          baseURL: \(base)
          productName: reporting
          auth: {token: {fromEnv: REPORTER_TOKEN}}
        ---
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: cd}
        spec:
          type: credible-data
          baseURL: \(base)
          project: analytics
          auth: {token: {fromEnv: CREDIBLE_TOKEN}}
        ---
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: df}
        spec:
          type: datafor
          baseURL: \(base)/datafor
          auth: {username: admin, password: {fromEnv: DATAFOR_PASSWORD}}
        ---
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: wix}
        spec:
          type: wix-data
          baseURL: \(base)
          rateLimit: 100/s
          auth: {token: {fromEnv: WIX_TOKEN}}
        ---
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: gf}
        spec:
          type: grafana
          baseURL: \(base)/grafana
          auth: {token: {fromEnv: GRAFANA_TOKEN}}
        ---
        apiVersion: connsync/v1
        kind: Provider
        metadata: {name: mb}
        spec:
          type: metabase
          baseURL: \(base)/metabase
          auth: {token: {fromEnv: METABASE_API_KEY}}

        """
    }

    static let ordersDatabase = """
        apiVersion: connsync/v1
        kind: Database
        metadata: {name: orders}
        spec:
          engine: postgresql
          host: orders.db.internal
          port: 5432
          database: orders
          username: app
          password: {fromEnv: ORDERS_PASSWORD}

        """

    /// Writes the config folder: providers, the orders Database, and `connections`.
    func writeConfig(_ connections: String, database: String = Workspace.ordersDatabase) throws {
        try? FileManager.default.removeItem(atPath: configDirectory)
        try directory.write(providersYAML, to: "config/providers.yaml")
        try directory.write(database, to: "config/databases.yaml")
        try directory.write(connections, to: "config/connections.yaml")
    }

    static func connection(_ name: String, provider: String, extra: String = "") -> String {
        """
        apiVersion: connsync/v1
        kind: Connection
        metadata: {name: \(name)}
        spec:
          provider: \(provider)
          databaseRef: orders
        \(extra)
        """
    }

    // MARK: running connsync

    /// Runs the binary with the workspace's environment and state (unless the arguments give one).
    func run(_ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        var full = arguments
        let command = arguments.first ?? ""
        if ["plan", "apply"].contains(command) {
            if !arguments.contains("--dir") && !arguments.contains("--repo") && !(command == "apply" && arguments.count > 1 && !arguments[1].hasPrefix("-")) {
                full += ["--dir", configDirectory]
            }
            if !arguments.contains("--state") { full += ["--state", "sqlite:\(statePath)"] }
        }
        let result = try await runConnsync(full, environment: environment, stdin: stdin)
        let leaks = leakedSecrets(in: result.stdout + result.stderr, secrets: TestSecrets.all)
        #expect(leaks.isEmpty, "secret in the output of connsync \(arguments.joined(separator: " ")): \(leaks.count) leaked")
        return result
    }

    func plan(_ extra: [String] = []) async throws -> ProcessResult {
        try await run(["plan"] + extra)
    }

    func apply(_ extra: [String] = []) async throws -> ProcessResult {
        try await run(["apply", "--auto-approve"] + extra)
    }

    // MARK: the emulator's admin API

    func adminCall(_ method: String, _ path: String, _ body: Value? = nil) async throws -> Value {
        let response = try await admin.send(
            HTTPRequest(method: method, url: base + path, body: try body.map { try $0.jsonData(secrets: .reveal) }))
        #expect((200..<300).contains(response.status), "admin \(method) \(path): \(response.status)")
        return (try? Value(json: response.body)) ?? .null
    }

    func seed(_ data: Value) async throws {
        _ = try await adminCall("POST", "/_emulator/seed", data)
    }

    func state() async throws -> Value {
        try await adminCall("GET", "/_emulator/state")
    }

    func requests() async throws -> [Value] {
        try await adminCall("GET", "/_emulator/requests")["requests"]?.arrayValue ?? []
    }

    func clearRequests() async throws {
        _ = try await adminCall("DELETE", "/_emulator/requests")
    }

    func fault(_ spec: Value) async throws {
        _ = try await adminCall("POST", "/_emulator/faults", spec)
    }

    /// Lets every call a `hold` fault keeps go on.
    func releaseHeld() async throws {
        _ = try await adminCall("POST", "/_emulator/faults/release")
    }

    /// Waits until every armed fault has been taken by an arriving call (e.g. a delayed
    /// call is now in flight); fails after `timeout` rather than hanging.
    func waitUntilFaultsAreTaken(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await adminCall("GET", "/_emulator/faults")["faults"]?.arrayValue?.isEmpty == true { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("armed faults were not taken within \(timeout)")
    }

    /// Vendor calls that write (not GET).
    func writes() async throws -> [Value] {
        try await requests().filter { $0["method"]?.stringValue != "GET" }
    }

    /// The state file's bytes as text (for leak checks), with the WAL files.
    func stateFileText() -> String {
        var data = Data()
        for suffix in ["", "-wal", "-shm"] {
            if let bytes = FileManager.default.contents(atPath: statePath + suffix) { data.append(bytes) }
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Lines of a text output.
func lines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}
