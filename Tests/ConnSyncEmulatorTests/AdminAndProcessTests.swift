import ConnSyncEmulator
import ConnSyncModel
import Foundation
import TestSupport
import Testing

@Suite("Emulator admin API")
struct AdminTests {
    @Test func faultsAreConsumedExactlyNTimesInTheVendorsEnvelope() async throws {
        try await EmulatorHarness.with { emulator in
            let armed = try await emulator.call(
                "POST", "/_emulator/faults", auth: nil,
                json: ["vendor": "lerian-reporter", "path": "/v1/management/connections*", "count": 2, "status": 429, "retryAfter": 3])
            #expect(armed.status == 201)
            let listed = try await emulator.call("GET", "/_emulator/faults", auth: nil)
            #expect(listed.json?["faults"]?.arrayValue?.map { $0["remaining"] } == [2])
            #expect(listed.json?["faults"]?.arrayValue?.first?["vendor"] == "lerian-reporter")
            for _ in 0..<2 {
                let limited = try await emulator.call("GET", "/v1/management/connections", auth: nil)
                #expect(limited.status == 429)
                #expect(limited.headers.first(name: "Retry-After") == "3")
                #expect(limited.json?["code"]?.stringValue?.hasPrefix("FET-") == true)
            }
            #expect(try await emulator.call("GET", "/v1/management/connections", auth: nil).status == 200)
            #expect(try await emulator.call("GET", "/_emulator/faults", auth: nil).json == ["faults": [], "held": 0])
            // A fault for one vendor leaves the others alone.
            _ = try await emulator.call("POST", "/_emulator/faults", auth: nil, json: ["vendor": "wix-data", "status": 503])
            #expect(try await emulator.call("GET", "/v1/management/connections", auth: nil).status == 200)
            #expect(try await emulator.call("GET", "/wix-data/v1/external-database-connections", auth: "t").status == 503)
            #expect(try await emulator.call("GET", "/wix-data/v1/external-database-connections", auth: "t").status == 200)
        }
    }

    @Test func aDroppedConnectionGetsNoAnswer() async throws {
        try await EmulatorHarness.with { emulator in
            _ = try await emulator.call("POST", "/_emulator/faults", auth: nil, json: ["method": "GET", "path": "/wix-data/*", "action": "drop"])
            await #expect(throws: (any Error).self) {
                _ = try await emulator.call("GET", "/wix-data/v1/external-database-connections", auth: "t")
            }
            #expect(try await emulator.call("GET", "/wix-data/v1/external-database-connections", auth: "t").status == 200)
            let log = await emulator.emulator.requestLog()
            #expect(log.map { $0["status"] } == [0, 200])
        }
    }

    /// The log keeps the newest calls up to its limit, in order, whatever came before.
    @Test func theRequestLogKeepsTheNewestCallsUpToItsLimit() async throws {
        var configuration = EmulatorConfiguration()
        configuration.requestLogLimit = 8
        try await EmulatorHarness.with(configuration) { emulator in
            for index in 0..<30 {
                _ = try await emulator.call("GET", "/wix-data/v1/external-database-connections?n=\(index)", auth: "t")
            }
            let log = await emulator.emulator.requestLog()
            #expect(log.count == 8)
            #expect(log.map { $0["seq"]?.intValue } == Array(23...30))
            let summary = try await emulator.call("GET", "/_emulator/requests/summary", auth: nil)
            #expect(summary.json?["count"] == 8)
        }
    }

    /// A held call waits, answered by nothing, until the test releases it.
    @Test func aHeldCallAnswersOnlyOnceReleased() async throws {
        try await EmulatorHarness.with { emulator in
            _ = try await emulator.call("POST", "/_emulator/faults", auth: nil, json: ["path": "/wix-data/*", "action": "hold"])
            async let held = emulator.call("GET", "/wix-data/v1/external-database-connections", auth: "t")
            var faults = Value.null
            for _ in 0..<500 {
                faults = try Value(json: try await emulator.call("GET", "/_emulator/faults", auth: nil).text)
                if faults["held"] == 1 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(faults["held"] == 1 && faults["faults"] == [])
            #expect(await emulator.emulator.requestLog().isEmpty, "not answered while held")
            let released = try Value(json: try await emulator.call("POST", "/_emulator/faults/release", auth: nil).text)
            #expect(released == ["released": 1])
            #expect(try await held.status == 200)
            #expect(try Value(json: try await emulator.call("GET", "/_emulator/faults", auth: nil).text)["held"] == 0)
        }
    }

    @Test func customBodiesAnd409AndClearing() async throws {
        try await EmulatorHarness.with { emulator in
            _ = try await emulator.call(
                "POST", "/_emulator/faults", auth: nil,
                json: ["vendor": "datafor", "status": 200, "count": 1, "body": ["success": false, "code": "500", "msg": "LOCAL_CONNECTION_ADMIN_ONLY: nope"]])
            let forbidden = try await emulator.call("GET", "/plugin/datafor-modeler/api/connection/list", auth: dataforAuth)
            #expect(forbidden.json?["msg"] == "LOCAL_CONNECTION_ADMIN_ONLY: nope")
            _ = try await emulator.call("POST", "/_emulator/faults", auth: nil, json: ["vendor": "credible-data", "status": 409, "count": 5])
            #expect(try await emulator.call("DELETE", "/_emulator/faults", auth: nil).status == 200)
            #expect(try await emulator.call("GET", "/api/v0/projects/p/connections", auth: credibleAuth).status == 200)
            let bad = try await emulator.call("POST", "/_emulator/faults", auth: nil, json: ["vendor": "nope"])
            #expect(bad.status == 400)
        }
    }

    @Test func theRequestLogHasBodiesButNeverAuthHeaders() async throws {
        try await EmulatorHarness.with { emulator in
            _ = try await emulator.call("POST", "/v1/users/u1/database-connections", auth: "Token very-secret-api-key", json: wiremockBody("orders"))
            let log = try await emulator.call("GET", "/_emulator/requests", auth: nil)
            let entry = try #require(log.json?["requests"]?.arrayValue?.first)
            #expect(entry["vendor"] == "wiremock-cloud")
            #expect(entry["method"] == "POST")
            #expect(entry["path"] == "/v1/users/u1/database-connections")
            #expect(entry["status"] == 201)
            #expect(entry[path: "body.databaseConnection.connectionName"] == "orders")
            #expect(!log.text.contains("very-secret-api-key"))
            #expect(try await emulator.call("DELETE", "/_emulator/requests", auth: nil).status == 200)
            #expect(await emulator.emulator.requestLog().isEmpty)
        }
    }

    @Test func seedStateAndReset() async throws {
        try await EmulatorHarness.with { emulator in
            let seeded = try await emulator.call(
                "POST", "/_emulator/seed", auth: nil,
                json: [
                    "wiremock-cloud": [["userId": "u1", "connectionName": "a", "databaseType": "MYSQL", "host": "h", "port": 3306, "databaseName": "d", "username": "u"]],
                    "wix-data": [["name": "w", "endpoint": "https://e", "configuration": [:]]],
                ])
            #expect(seeded.status == 200)
            let list = try await emulator.call("GET", "/v1/users/u1/database-connections", auth: "Token t")
            #expect(list.json?[path: "meta.total"] == 1)
            let state = try await emulator.call("GET", "/_emulator/state", auth: nil)
            #expect(state.json?["wix-data"]?.arrayValue?.count == 1)
            #expect(try await emulator.call("POST", "/_emulator/reset", auth: nil).status == 200)
            #expect(try await emulator.call("GET", "/_emulator/state", auth: nil).json?["wix-data"] == [])
        }
    }

    @Test func dataFilePersistsAcrossRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.url.appendingPathComponent("emulator.json").path
        try await EmulatorHarness.with(EmulatorConfiguration(dataFile: file)) { emulator in
            let created = try await emulator.call(
                "POST", "/wix-data/v1/external-database-connections", auth: "t",
                json: ["externalDatabaseConnection": ["name": "kept", "endpoint": "https://e", "configuration": ["secretKey": "k"]]])
            #expect(created.status == 200)
        }
        #expect(FileManager.default.fileExists(atPath: file))
        try await EmulatorHarness.with(EmulatorConfiguration(dataFile: file)) { emulator in
            let fetched = try await emulator.call("GET", "/wix-data/v1/external-database-connections/kept", auth: "t")
            #expect(fetched.status == 200)
            #expect(fetched.json?[path: "externalDatabaseConnection.configuration.secretKey"] == "k")
        }
    }

    @Test func latencyDelaysVendorAnswersButNotAdminCalls() async throws {
        try await EmulatorHarness.with(EmulatorConfiguration(latency: .milliseconds(150))) { emulator in
            _ = try await emulator.call("GET", "/wix-data/v1/external-database-connections", auth: "t")
            _ = try await emulator.call("GET", "/_emulator/state", auth: nil)
            let log = await emulator.emulator.requestLog()
            // The log measures each vendor call inside the server: it includes the latency.
            #expect(log.count == 1)
            #expect((log.first?["durationMs"]?.numberLike ?? 0) >= 150)
        }
    }

    @Test func unknownPathsAre404() async throws {
        try await EmulatorHarness.with { emulator in
            let vendorless = try await emulator.call("GET", "/nothing/here", auth: nil)
            let admin = try await emulator.call("GET", "/_emulator/nothing", auth: nil)
            #expect(vendorless.status == 404)
            #expect(admin.status == 404)
        }
    }
}

extension Value {
    var numberLike: Double? {
        switch self {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }
}

@Suite("connsync emulator process")
struct EmulatorProcessTests {
    @Test func printsItsURLServesAndStopsOnSIGTERM() async throws {
        let process = try BackgroundProcess(try connsyncBinaryPath(), ["emulator", "--port", "0", "--wix-token", "tok"])
        let url = try await process.waitForListeningURL()
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let harness = EmulatorHarness(emulator: Emulator(configuration: EmulatorConfiguration()), base: url)
        let reply = try await harness.call("GET", "/wix-data/v1/external-database-connections", auth: "tok")
        #expect(reply.status == 200)
        #expect(try await harness.call("GET", "/wix-data/v1/external-database-connections", auth: "nope").status == 401)
        try? await harness.client.shutdown()
        #expect(try await process.stop() == 0)
    }
}
