import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Testing

let reporterAuth = "Bearer reporter-jwt"

func lerianBody(_ name: String, port: Int = 5432, extra: [String: Value] = [:]) -> Value {
    var body: [String: Value] = [
        "configName": .string(name), "type": "POSTGRESQL", "host": "db.internal", "port": .int(port), "databaseName": "orders",
        "userName": "app", "password": "pw-lerian",
    ]
    for (key, value) in extra { body[key] = value }
    return .object(body)
}

@Suite("Emulator contract: lerian-reporter")
struct LerianReporterContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(reporterToken: "reporter-jwt"))
    let product = ["X-Product-Name": "Reporting"]

    func create(_ emulator: EmulatorHarness, _ name: String, extra: [String: Value] = [:]) async throws -> String {
        let created = try await emulator.call("POST", "/v1/management/connections", auth: reporterAuth, headers: product, json: lerianBody(name, extra: extra))
        #expect(created.status == 201, "\(created.text)")
        return try #require(created.json?["id"]?.stringValue)
    }

    @Test func createReturnsTheObjectWithoutWriteOnlyFieldsAndLowerCasesTheProduct() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call(
                "POST", "/v1/management/connections", auth: reporterAuth, headers: product,
                json: lerianBody("orders", extra: ["ssl": ["mode": "require", "ca": "CA-PEM", "key": "KEY-PEM"], "metadata": ["team": "data"]]))
            #expect(created.status == 201)
            let object = try #require(created.json)
            #expect(object["productName"] == "reporting")
            #expect(object["ssl"] == ["mode": "require"])
            #expect(object["password"] == nil)
            #expect(object["metadata"] == ["team": "data"])
            #expect(object["createdAt"]?.stringValue != nil)
            #expect(!created.text.contains("pw-lerian") && !created.text.contains("CA-PEM") && !created.text.contains("KEY-PEM"))
            let id = try #require(object["id"]?.stringValue)
            let fetched = try await emulator.call("GET", "/v1/management/connections/\(id)", auth: reporterAuth)
            #expect(fetched.json == object)
        }
    }

    @Test func createErrors() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let noProduct = try await emulator.call("POST", "/v1/management/connections", auth: reporterAuth, json: lerianBody("orders"))
            #expect(noProduct.status == 400)
            #expect(noProduct.json?["code"] == "FET-0402")
            var missing = lerianBody("orders")
            missing["host"] = nil
            let missingField = try await emulator.call("POST", "/v1/management/connections", auth: reporterAuth, headers: product, json: missing)
            #expect(missingField.json?["code"] == "FET-0402")
            let unknown = try await emulator.call(
                "POST", "/v1/management/connections", auth: reporterAuth, headers: product, json: lerianBody("orders", extra: ["color": "red"]))
            #expect(unknown.status == 400)
            #expect(unknown.json?["code"] == "FET-0400")
            let sslWithoutCA = try await emulator.call(
                "POST", "/v1/management/connections", auth: reporterAuth, headers: product, json: lerianBody("orders", extra: ["ssl": ["mode": "require"]]))
            #expect(sslWithoutCA.json?["code"] == "FET-0402")
            let badPort = try await emulator.call(
                "POST", "/v1/management/connections", auth: reporterAuth, headers: product, json: lerianBody("orders", port: 0))
            #expect(badPort.status == 400)
            _ = try await create(emulator, "orders")
            let duplicate = try await emulator.call("POST", "/v1/management/connections", auth: reporterAuth, headers: product, json: lerianBody("orders"))
            #expect(duplicate.status == 409)
            #expect(duplicate.json?["code"] == "FET-1002")
            #expect(duplicate.json?["title"] == "Conflict")
        }
    }

    @Test func patchIsPartialAndMetadataReplacesTheStoredMap() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, "orders", extra: ["metadata": ["team": "data", "owner": "bob"], "schema": "public"])
            let before = try await emulator.call("GET", "/v1/management/connections/\(id)", auth: reporterAuth)
            let patched = try await emulator.call(
                "PATCH", "/v1/management/connections/\(id)", auth: reporterAuth, json: ["port": 5433, "metadata": ["team": "platform"]])
            #expect(patched.status == 200)
            #expect(patched.json?["port"] == 5433)
            #expect(patched.json?["host"] == "db.internal")
            #expect(patched.json?["schema"] == "public")
            #expect(patched.json?["metadata"] == ["team": "platform"])
            #expect(patched.json?["updatedAt"] != before.json?["updatedAt"])
            let stored = await emulator.emulator.snapshot()["lerian-reporter"]?.arrayValue?.first
            #expect(stored?["password"] == "pw-lerian")
        }
    }

    @Test func patchErrors() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, "orders")
            _ = try await create(emulator, "ledger")
            let clash = try await emulator.call("PATCH", "/v1/management/connections/\(id)", auth: reporterAuth, json: ["configName": "ledger"])
            #expect(clash.status == 409)
            #expect(clash.json?["code"] == "FET-1002")
            let nested = try await emulator.call(
                "PATCH", "/v1/management/connections/\(id)", auth: reporterAuth, json: ["metadata": ["a": ["b": "c"]]])
            #expect(nested.json?["code"] == "FET-0410")
            let longValue = try await emulator.call(
                "PATCH", "/v1/management/connections/\(id)", auth: reporterAuth,
                json: ["metadata": ["a": .string(String(repeating: "v", count: 2001))]])
            #expect(longValue.json?["code"] == "FET-0411")
            let longKey = try await emulator.call(
                "PATCH", "/v1/management/connections/\(id)", auth: reporterAuth,
                json: ["metadata": .object([String(repeating: "k", count: 101): "v"])])
            #expect(longKey.json?["code"] == "FET-0412")
            let malformed = try await emulator.call("PATCH", "/v1/management/connections/not-a-uuid", auth: reporterAuth, json: ["port": 1])
            #expect(malformed.status == 400)
            #expect(malformed.json?["code"] == "FET-0404")
            let unknown = try await emulator.call(
                "PATCH", "/v1/management/connections/00000000-0000-0000-0000-000000000000", auth: reporterAuth, json: ["port": 1])
            #expect(unknown.status == 404)
            #expect(unknown.json?["code"] == "FET-1001")
        }
    }

    @Test func aJobInProgressRefusesPatchAndDeleteWithFET1021ForTheGivenCalls() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, "orders")
            let armed = try await emulator.call("POST", "/_emulator/lerian/jobs", auth: nil, json: ["id": .string(id), "calls": 2])
            #expect(armed.status == 200)
            for _ in 0..<2 {
                let busy = try await emulator.call("PATCH", "/v1/management/connections/\(id)", auth: reporterAuth, json: ["port": 5433])
                #expect(busy.status == 409)
                #expect(busy.json == ["code": "FET-1021", "title": "Job In Progress", "message": "The operation cannot be completed because there are active jobs for this connection."])
            }
            let free = try await emulator.call("PATCH", "/v1/management/connections/\(id)", auth: reporterAuth, json: ["port": 5433])
            #expect(free.status == 200)
            await emulator.emulator.setLerianJob(id: id, calls: 1)
            #expect(try await emulator.call("DELETE", "/v1/management/connections/\(id)", auth: reporterAuth).status == 409)
            #expect(try await emulator.call("DELETE", "/v1/management/connections/\(id)", auth: reporterAuth).status == 204)
        }
    }

    @Test func deleteIsSoftAndHidesTheConnection() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, "orders")
            #expect(try await emulator.call("DELETE", "/v1/management/connections/\(id)", auth: reporterAuth).status == 204)
            #expect(try await emulator.call("GET", "/v1/management/connections/\(id)", auth: reporterAuth).status == 404)
            let list = try await emulator.call("GET", "/v1/management/connections", auth: reporterAuth)
            #expect(list.json?["total"] == 0)
            // The name is free again.
            _ = try await create(emulator, "orders")
        }
    }

    @Test func listPagesAndLimits() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            for index in 1...12 { _ = try await create(emulator, String(format: "conn-%02d", index)) }
            let first = try await emulator.call("GET", "/v1/management/connections", auth: reporterAuth)
            #expect(first.json?["items"]?.arrayValue?.count == 10)
            #expect(first.json?["page"] == 1)
            #expect(first.json?["limit"] == 10)
            #expect(first.json?["total"] == 12)
            let second = try await emulator.call("GET", "/v1/management/connections?page=2&limit=10", auth: reporterAuth)
            #expect(second.json?["items"]?.arrayValue?.compactMap { $0["configName"]?.stringValue } == ["conn-11", "conn-12"])
            let descending = try await emulator.call("GET", "/v1/management/connections?limit=1&sortOrder=desc", auth: reporterAuth)
            #expect(descending.json?["items"]?.arrayValue?.first?["configName"] == "conn-12")
            let tooMany = try await emulator.call("GET", "/v1/management/connections?limit=101", auth: reporterAuth)
            #expect(tooMany.status == 400)
            #expect(tooMany.json?["code"] == "FET-0406")
        }
    }

    @Test func tenantsAreSeparate() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call(
                "POST", "/v1/management/connections", auth: reporterAuth, headers: ["X-Product-Name": "p", "X-Tenant-ID": "acme"],
                json: lerianBody("orders"))
            #expect(created.status == 201)
            let acme = try await emulator.call("GET", "/v1/management/connections", auth: reporterAuth, headers: ["X-Tenant-ID": "acme"])
            let other = try await emulator.call("GET", "/v1/management/connections", auth: reporterAuth, headers: ["X-Tenant-ID": "other"])
            #expect(acme.json?["total"] == 1)
            #expect(other.json?["total"] == 0)
        }
    }

    @Test func testCallAndAuth() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, "orders")
            let tested = try await emulator.call("POST", "/v1/management/connections/\(id)/test", auth: reporterAuth)
            #expect(tested.json?["status"] == "success")
            #expect(tested.json?["latencyMs"]?.intValue != nil)
            let anonymous = try await emulator.call("GET", "/v1/management/connections", auth: nil)
            #expect(anonymous.status == 401)
            let wrong = try await emulator.call("GET", "/v1/management/connections", auth: "Bearer wrong")
            #expect(wrong.status == 401)
            #expect(wrong.json?["code"]?.stringValue?.hasPrefix("FET-") == true)
        }
        // Without Access Manager (no token configured), no auth is needed.
        try await EmulatorHarness.with { emulator in
            let open = try await emulator.call("GET", "/v1/management/connections", auth: nil)
            #expect(open.status == 200)
        }
    }
}
