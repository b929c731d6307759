import ConnSyncEmulator
import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// What the shared code does for every vendor of the list: credentials, seed,
/// snapshot, reset, persistence, faults and routing.
@Suite("Emulator vendor list")
struct VendorRegistryTests {
    @Test func theLabelledCredentialsAreEntriesOfByVendor() {
        let labelled = EmulatorCredentials(wiremockToken: "w", reporterToken: "r", dataforUser: "u", dataforPassword: "p")
        let generic = EmulatorCredentials(byVendor: [
            "wiremock-cloud": ["token": "w"], "lerian-reporter": ["token": "r"], "datafor": ["username": "u", "password": "p"],
        ])
        #expect(labelled == generic)
        #expect(generic.dataforUser == "u")
        #expect(generic.wixToken == nil)
        var edited = generic
        edited.wiremockToken = nil
        edited["grafana", "token"] = "g"
        #expect(edited.byVendor["wiremock-cloud"] == nil)
        #expect(edited["grafana"] == ["token": "g"])
    }

    /// No credential of any vendor's scheme reaches the request log.
    @Test func theRequestLogHoldsNoCredentialOfAnyVendor() async throws {
        try await EmulatorHarness.with { emulator in
            let secret = "credential-never-logged-71"
            let calls: [(String, String?, [String: String])] = [
                ("/v1/users/u/database-connections", "Token \(secret)", [:]), ("/v1/management/connections", "Bearer \(secret)", [:]),
                ("/api/v0/projects/p/connections", "Bearer \(secret)", [:]),
                ("/datafor/plugin/datafor-modeler/api/connection/list", "Basic " + Data("u:\(secret)".utf8).base64EncodedString(), [:]),
                ("/wix-data/v1/external-database-connections", secret, [:]), ("/api/datasources", "Bearer \(secret)", [:]),
                ("/api/database", nil, ["X-API-Key": secret, "X-Metabase-Session": secret, "Proxy-Authorization": secret]),
            ]
            for (path, auth, headers) in calls { _ = try await emulator.call("GET", path, auth: auth, headers: headers) }
            let log = await emulator.emulator.requestLog()
            #expect(log.count == calls.count)
            #expect(!Value.array(log).jsonString(secrets: .reveal).contains(secret))
            #expect(!Value.array(log).jsonString(secrets: .reveal).contains(Data("u:\(secret)".utf8).base64EncodedString()))
        }
    }

    @Test func fromEnvironmentReadsEveryVendorsVariables() {
        let credentials = EmulatorCredentials.fromEnvironment([
            "CONNSYNC_EMULATOR_WIREMOCK_TOKEN": "w", "CONNSYNC_EMULATOR_REPORTER_TOKEN": "r", "CONNSYNC_EMULATOR_CREDIBLE_TOKEN": "c",
            "CONNSYNC_EMULATOR_DATAFOR_USER": "u", "CONNSYNC_EMULATOR_DATAFOR_PASSWORD": "p", "CONNSYNC_EMULATOR_WIX_TOKEN": "x",
            "CONNSYNC_EMULATOR_GRAFANA_TOKEN": "g", "CONNSYNC_EMULATOR_METABASE_API_KEY": "m", "CONNSYNC_EMULATOR_OTHER": "o",
        ])
        #expect(
            credentials.byVendor == [
                "wiremock-cloud": ["token": "w"], "lerian-reporter": ["token": "r"], "credible-data": ["token": "c"],
                "datafor": ["username": "u", "password": "p"], "wix-data": ["token": "x"], "grafana": ["token": "g"],
                "metabase": ["token": "m"],
            ])
        #expect(EmulatorCredentials.fromEnvironment(["CONNSYNC_EMULATOR_GRAFANA_TOKEN": ""]).byVendor.isEmpty)
    }

    @Test func theStateListsEveryVendorAndSeedSnapshotResetRoundTrip() async throws {
        try await EmulatorHarness.with { emulator in
            let empty = await emulator.emulator.snapshot()
            #expect(empty.objectValue.map { Set($0.keys) } == [
                "wiremock-cloud", "lerian-reporter", "credible-data", "datafor", "wix-data", "grafana", "metabase",
            ])
            try await emulator.emulator.seed([
                "grafana": [["name": "g", "type": "mysql", "secureJsonData": ["password": "gp"]]],
                "metabase": [["name": "m", "engine": "postgres", "details": ["host": "h", "password": "mp"]]],
            ])
            let state = await emulator.emulator.snapshot()
            let grafana = try #require(state["grafana"]?.arrayValue?.first)
            #expect(grafana["uid"]?.stringValue?.isEmpty == false)
            #expect(grafana["version"] == 1)
            #expect(grafana[path: "secureJsonData.password"] == "gp")
            let metabase = try #require(state["metabase"]?.arrayValue?.first)
            #expect(metabase["id"]?.intValue != nil)
            #expect(metabase[path: "details.password"] == "mp")
            // Seeding the snapshot again keeps the same objects (what --data does at start).
            try await emulator.emulator.seed(state)
            #expect(await emulator.emulator.snapshot() == state)
            await #expect(throws: EmulatorError.self) { try await emulator.emulator.seed(["grafana": [["type": "mysql"]]]) }
            await #expect(throws: EmulatorError.self) { try await emulator.emulator.seed(["metabase": [["name": "no engine"]]]) }
            await emulator.emulator.reset()
            #expect(await emulator.emulator.snapshot() == empty)
        }
    }

    @Test func theNewVendorsPersistAcrossRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.url.appendingPathComponent("emulator.json").path
        try await EmulatorHarness.with(EmulatorConfiguration(dataFile: file)) { emulator in
            _ = try await emulator.call("POST", "/api/datasources", auth: "Bearer t", json: grafanaBody("kept", uid: "kept"))
            _ = try await emulator.call("POST", "/api/database", auth: nil, headers: ["X-API-Key": "k"], json: metabaseBody("kept"))
        }
        try await EmulatorHarness.with(EmulatorConfiguration(dataFile: file)) { emulator in
            let grafana = try await emulator.call("GET", "/api/datasources/uid/kept", auth: "Bearer t")
            #expect(grafana.json?["secureJsonFields"] == ["password": true])
            let created = try await emulator.call("POST", "/api/datasources", auth: "Bearer t", json: grafanaBody("new"))
            #expect(created.json?["id"] != grafana.json?["id"])
            let metabase = try await emulator.call("GET", "/api/database", auth: nil, headers: ["X-API-Key": "k"])
            #expect(metabase.json?["total"] == 1)
            #expect(await emulator.emulator.snapshot()["metabase"]?.arrayValue?.first?[path: "details.password"] == "s3cret")
        }
    }

    @Test func faultsUseEachNewVendorsOwnEnvelopeAndTheLogStripsTheSubPath() async throws {
        try await EmulatorHarness.with { emulator in
            _ = try await emulator.addFault(["vendor": "grafana", "status": 503])
            let grafana = try await emulator.call("GET", "/grafana/api/datasources", auth: "Bearer t")
            #expect(grafana.status == 503)
            #expect(grafana.json == ["message": "injected fault: HTTP 503"])
            _ = try await emulator.addFault(["vendor": "metabase", "status": 404, "path": "/api/database/*"])
            let metabase = try await emulator.call("GET", "/mb/api/database/7", auth: nil, headers: ["X-API-Key": "k"])
            #expect(metabase.text == "Not found.")
            _ = try await emulator.addFault(["vendor": "metabase", "status": 500])
            #expect(try await emulator.call("GET", "/api/database", auth: nil, headers: ["X-API-Key": "k"]).json?["message"] != nil)
            let log = await emulator.emulator.requestLog()
            #expect(log.map { $0["vendor"] } == ["grafana", "metabase", "metabase"])
            #expect(log.map { $0["path"] } == ["/api/datasources", "/api/database/7", "/api/database"])
        }
    }

    @Test func routingKeepsTheVendorsApart() async throws {
        try await EmulatorHarness.with { emulator in
            // credible-data's /api/v0 is not metabase's or grafana's.
            let credible = try await emulator.call("GET", "/api/v0/projects/p/connections", auth: "Bearer t")
            #expect(credible.json == [])
            #expect(try await emulator.call("GET", "/api/databases", auth: nil, headers: ["X-API-Key": "k"]).status == 404)
            #expect(try await emulator.call("GET", "/api/datasourcesx", auth: "Bearer t").json?["message"] == "no vendor API at /api/datasourcesx")
            #expect(try await emulator.call("GET", "/a/b/api/database", auth: nil, headers: ["X-API-Key": "k"]).json?["total"] == 0)
            #expect(try await emulator.call("GET", "/a/b/api/datasources", auth: "Bearer t").json == [])
        }
    }
}

extension EmulatorHarness {
    @discardableResult
    func addFault(_ spec: Value) async throws -> Int {
        try await emulator.addFault(spec)
    }
}
