import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Testing

let wmAuth = "Token wm-key"

func wiremockBody(_ name: String, host: String = "db.internal", password: String? = "pw-1") -> Value {
    var connection: [String: Value] = [
        "connectionName": .string(name), "databaseType": "POSTGRESQL", "host": .string(host), "port": 5432,
        "databaseName": "orders", "username": "app",
    ]
    if let password { connection["password"] = .string(password) }
    return ["databaseConnection": .object(connection)]
}

@Suite("Emulator contract: wiremock-cloud")
struct WireMockCloudContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(wiremockToken: "wm-key"))

    @Test func createGetPatchDeleteRoundTripWithoutEverReturningThePassword() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, json: wiremockBody("orders"))
            #expect(created.status == 201)
            let id = try #require(created.json?[path: "databaseConnection.id"]?.stringValue)
            #expect(created.json?[path: "databaseConnection.links.self"] == .string("/v1/database-connections/\(id)"))
            #expect(created.json?[path: "databaseConnection.password"] == nil)
            #expect(!created.text.contains("pw-1"))

            let fetched = try await emulator.call("GET", "/v1/database-connections/\(id)", auth: wmAuth)
            #expect(fetched.status == 200)
            #expect(fetched.json?[path: "databaseConnection.host"] == "db.internal")
            #expect(!fetched.text.contains("password"))

            // PATCH with the full base object; password omitted = unchanged.
            let patched = try await emulator.call(
                "PATCH", "/v1/database-connections/\(id)", auth: wmAuth, json: wiremockBody("orders", host: "new.internal", password: nil))
            #expect(patched.status == 200)
            #expect(patched.json?[path: "databaseConnection.host"] == "new.internal")
            let stored = await emulator.emulator.snapshot()["wiremock-cloud"]?.arrayValue?.first
            #expect(stored?["password"] == "pw-1")
            #expect(stored?["userId"] == "u1")

            let deleted = try await emulator.call("DELETE", "/v1/database-connections/\(id)", auth: wmAuth)
            #expect(deleted.status == 204)
            #expect(deleted.text.isEmpty)
            let gone = try await emulator.call("GET", "/v1/database-connections/\(id)", auth: wmAuth)
            #expect(gone.status == 404)
            #expect(gone.json == ["code": 404, "message": "HTTP 404 Not Found"])
        }
    }

    @Test func patchMustCarryTheFullBaseObject() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, json: wiremockBody("orders"))
            let id = try #require(created.json?[path: "databaseConnection.id"]?.stringValue)
            let partial = try await emulator.call(
                "PATCH", "/v1/database-connections/\(id)", auth: wmAuth, json: ["databaseConnection": ["host": "only.host"]])
            #expect(partial.status == 422)
            #expect(partial.json?[path: "errors"]?.arrayValue?.first?["title"] == "Invalid JSON")
            #expect(partial.json?[path: "errors"]?.arrayValue?.first?["detail"]?.stringValue?.contains("/databaseConnection/connectionName") == true)
        }
    }

    @Test func createValidatesAndRefusesDuplicateNames() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let missingPassword = try await emulator.call(
                "POST", "/v1/users/u1/database-connections", auth: wmAuth, json: wiremockBody("orders", password: nil))
            #expect(missingPassword.status == 422)
            var badPort = wiremockBody("orders")
            badPort.set(.int(70000), at: "databaseConnection.port")
            #expect(try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, json: badPort).status == 422)
            var badType = wiremockBody("orders")
            badType.set("MONGODB", at: "databaseConnection.databaseType")
            #expect(try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, json: badType).status == 422)
            #expect(try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, json: wiremockBody("orders")).status == 201)
            let duplicate = try await emulator.call("POST", "/v1/users/u2/database-connections", auth: wmAuth, json: wiremockBody("orders"))
            #expect(duplicate.status == 422)
            #expect(duplicate.json?[path: "errors"]?.arrayValue?.first?["title"] == "Duplicate connection name")
            let notJSON = try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, raw: "{not json")
            #expect(notJSON.status == 400)
            #expect(notJSON.json?["errors"] != nil)
        }
    }

    @Test func listPagesWithMetaLinksAndNameFilterPerUser() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            for index in 1...45 {
                let created = try await emulator.call(
                    "POST", "/v1/users/u1/database-connections", auth: wmAuth, json: wiremockBody(String(format: "conn-%02d", index)))
                #expect(created.status == 201)
            }
            _ = try await emulator.call("POST", "/v1/users/other/database-connections", auth: wmAuth, json: wiremockBody("Other-Conn"))
            let first = try await emulator.call("GET", "/v1/users/u1/database-connections", auth: wmAuth)
            #expect(first.json?["databaseConnections"]?.arrayValue?.count == 20)
            #expect(first.json?["meta"] == ["start": 0, "end": 20, "total": 45, "page": 1, "totalPages": 3])
            #expect(first.json?[path: "links.next"] == "/v1/users/u1/database-connections?page=2&limit=20")
            #expect(first.json?[path: "links.previous"] == nil)
            let last = try await emulator.call("GET", "/v1/users/u1/database-connections?page=2&limit=40", auth: wmAuth)
            #expect(last.json?["databaseConnections"]?.arrayValue?.count == 5)
            #expect(last.json?[path: "links.next"] == nil)
            #expect(last.json?[path: "links.previous"] != nil)
            let filtered = try await emulator.call("GET", "/v1/users/u1/database-connections?q=CONN-1&limit=100", auth: wmAuth)
            #expect(filtered.json?["databaseConnections"]?.arrayValue?.compactMap { $0["connectionName"]?.stringValue } == (10...19).map { "conn-\($0)" })
            let other = try await emulator.call("GET", "/v1/users/other/database-connections", auth: wmAuth)
            #expect(other.json?[path: "meta.total"] == 1)
            #expect(try await emulator.call("GET", "/v1/users/u1/database-connections?limit=101", auth: wmAuth).status == 400)
            #expect(try await emulator.call("GET", "/v1/users/u1/database-connections?page=0", auth: wmAuth).status == 400)
        }
    }

    @Test func testCallReportsOutcome() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let good: Value = ["databaseType": "POSTGRESQL", "host": "db", "port": 5432, "databaseName": "d", "username": "u", "password": "p"]
            let ok = try await emulator.call("POST", "/v1/users/u1/database-connections/test", auth: wmAuth, json: good)
            #expect(ok.json == ["outcome": "SUCCESS", "errors": []])
            var bad = good
            bad["host"] = "unreachable.internal"
            let failure = try await emulator.call("POST", "/v1/users/u1/database-connections/test", auth: wmAuth, json: bad)
            #expect(failure.json?["outcome"] == "FAILURE")
        }
    }

    @Test(arguments: [nil, "Bearer wm-key", "Token wrong-key", "Token "])
    func unauthenticatedCallsGetPlainText401(_ header: String?) async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let reply = try await emulator.call("GET", "/v1/users/u1/database-connections", auth: header)
            #expect(reply.status == 401)
            #expect(reply.text == "Credentials are required to access this resource.")
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
        }
    }

    @Test func withoutAConfiguredKeyAnyWellFormedTokenIsAccepted() async throws {
        try await EmulatorHarness.with { emulator in
            let token = try await emulator.call("GET", "/v1/users/u1/database-connections", auth: "Token anything")
            let bearer = try await emulator.call("GET", "/v1/users/u1/database-connections", auth: "Bearer anything")
            #expect(token.status == 200)
            #expect(bearer.status == 401)
        }
    }
}
