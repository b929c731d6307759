import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Testing

let credibleAuth = "Bearer credible-token"
let dataforAuth = "Basic " + Data("admin:datafor-pw".utf8).base64EncodedString()
let wixAuth = "wix-token"

@Suite("Emulator contract: credible-data")
struct CredibleDataContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(credibleToken: "credible-token"))
    let path = "/api/v0/projects/analytics/connections"
    let block: Value = ["host": "db.internal", "port": 5432, "databaseName": "orders", "userName": "app", "password": "pw-credible"]

    @Test func createListGetWithoutSecrets() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", "\(path)/orders", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block])
            #expect(created.status == 201)
            #expect(created.json == ["message": "Connection \"orders\" created successfully"])
            let list = try await emulator.call("GET", path, auth: credibleAuth)
            let first = try #require(list.json?.arrayValue?.first)
            #expect(first["name"] == "orders")
            #expect(first["type"] == "postgres")
            #expect(first["resource"] == "/api/v0/projects/analytics/connections/orders")
            #expect(first[path: "attributes.dialectName"] == "postgres")
            #expect(first[path: "postgresConnection.host"] == "db.internal")
            #expect(first[path: "postgresConnection.password"] == nil)
            #expect(!list.text.contains("pw-credible"))
            let fetched = try await emulator.call("GET", "\(path)/orders", auth: credibleAuth)
            #expect(fetched.json == first)
            let other = try await emulator.call("GET", "/api/v0/projects/other/connections", auth: credibleAuth)
            #expect(other.json == [])
        }
    }

    @Test func patchReplacesASentBlockWholeSoAnOmittedPasswordIsCleared() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", "\(path)/orders", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block])
            let patched = try await emulator.call(
                "PATCH", "\(path)/orders", auth: credibleAuth, json: ["postgresConnection": ["host": "new.internal", "port": 6432]])
            #expect(patched.status == 200)
            #expect(patched.json?["message"] != nil)
            let stored = await emulator.emulator.snapshot()["credible-data"]?.arrayValue?.first
            #expect(stored?["postgresConnection"] == ["host": "new.internal", "port": 6432])
            #expect(stored?["type"] == "postgres")
        }
    }

    @Test func errors() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let badName = try await emulator.call("POST", "\(path)/orders.v2", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block])
            #expect(badName.status == 400)
            #expect(badName.json?["code"] == 400)
            let reserved = try await emulator.call("POST", "\(path)/duckdb", auth: credibleAuth, json: ["type": "duckdb", "duckdbConnection": [:]])
            #expect(reserved.status == 400)
            #expect(try await emulator.call("POST", "\(path)/orders", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block]).status == 201)
            let duplicate = try await emulator.call("POST", "\(path)/orders", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block])
            #expect(duplicate.status == 409)
            #expect(duplicate.json?["code"] == 409)
            let missing = try await emulator.call("GET", "\(path)/nope", auth: credibleAuth)
            #expect(missing.status == 404)
            #expect(missing.json?["code"] == 404)
            #expect(try await emulator.call("PATCH", "\(path)/nope", auth: credibleAuth, json: ["postgresConnection": block]).status == 404)
            let unauthorized = try await emulator.call("GET", path, auth: "Bearer wrong")
            #expect(unauthorized.status == 401)
            #expect(unauthorized.json?["code"] == 401)
            #expect(try await emulator.call("GET", path, auth: nil).status == 401)
        }
    }

    @Test func deleteAndTest() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", "\(path)/orders", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block])
            let deleted = try await emulator.call("DELETE", "\(path)/orders", auth: credibleAuth)
            #expect(deleted.status == 200)
            #expect(deleted.json?["message"] != nil)
            #expect(try await emulator.call("DELETE", "\(path)/orders", auth: credibleAuth).status == 404)
            let tested = try await emulator.call("POST", "/api/v0/connections/test", auth: credibleAuth, json: ["type": "postgres", "postgresConnection": block])
            #expect(tested.json == ["status": "ok"])
        }
    }
}

@Suite("Emulator contract: datafor")
struct DataforContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(dataforUser: "admin", dataforPassword: "datafor-pw"))
    let base = "/datafor/plugin/datafor-modeler/api/connection"

    func object(_ name: String) -> Value {
        [
            "id": nil, "name": .string(name), "hostname": "db.internal", "databaseName": "orders", "databasePort": "5432", "username": "app",
            "password": "pw-datafor", "databaseType": ["shortName": "POSTGRESQL", "name": "PostgreSQL"],
            "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"],
        ]
    }

    @Test func addListGetWithDefaultsAndNullPassword() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let added = try await emulator.call("POST", "\(base)/add", auth: dataforAuth, json: object("orders"))
            #expect(added.json == ["success": true, "code": "200"])
            let list = try await emulator.call("GET", "\(base)/list", auth: dataforAuth)
            #expect(list.json?["success"] == true)
            let stored = try #require(list.json?["databaseConnections"]?.arrayValue?.first)
            #expect(stored["password"] == .null)
            #expect(stored["id"]?.stringValue != nil)
            #expect(stored[path: "connectionPoolingProperties.maxActive"] == "20")
            #expect(stored["accessType"] == "NATIVE")
            #expect(!list.text.contains("pw-datafor"))
            let fetched = try await emulator.call("GET", "\(base)/get?name=orders", auth: dataforAuth)
            #expect(fetched.json == stored)
            // Served at the root too (no web-app prefix).
            let root = try await emulator.call("GET", "/plugin/datafor-modeler/api/connection/list", auth: dataforAuth)
            #expect(root.status == 200)
        }
    }

    @Test func updateReplacesTheObjectAndANullPasswordKeepsTheStoredOne() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", "\(base)/add", auth: dataforAuth, json: object("orders"))
            let stored = try #require(try await emulator.call("GET", "\(base)/get?name=orders", auth: dataforAuth).json)
            var changed = stored
            changed["hostname"] = "new.internal"
            changed["connectionPoolingProperties"] = nil
            changed["password"] = nil
            let updated = try await emulator.call("POST", "\(base)/update", auth: dataforAuth, json: changed)
            #expect(updated.json?["success"] == true)
            let after = await emulator.emulator.snapshot()["datafor"]?.arrayValue?.first
            #expect(after?["hostname"] == "new.internal")
            #expect(after?["connectionPoolingProperties"] == nil)
            #expect(after?["password"] == "pw-datafor")
            changed["password"] = "pw-rotated"
            _ = try await emulator.call("POST", "\(base)/update", auth: dataforAuth, json: changed)
            #expect(await emulator.emulator.snapshot()["datafor"]?.arrayValue?.first?["password"] == "pw-rotated")
        }
    }

    @Test func writeErrorsArriveAsHTTP200WithSuccessFalse() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", "\(base)/add", auth: dataforAuth, json: object("orders"))
            let duplicate = try await emulator.call("POST", "\(base)/add", auth: dataforAuth, json: object("orders"))
            #expect(duplicate.status == 200)
            #expect(duplicate.json?["success"] == false)
            #expect(duplicate.json?["code"] == "500")
            #expect(duplicate.json?["msg"]?.stringValue?.hasPrefix("CONNECTION_CREATE_FORBIDDEN") == true)
            #expect(duplicate.json?["msg"]?.stringValue?.contains("orders") == true)
            var ghost = object("ghost")
            ghost["id"] = "no-such-id"
            let update = try await emulator.call("POST", "\(base)/update", auth: dataforAuth, json: ghost)
            #expect(update.status == 200)
            #expect(update.json?["msg"]?.stringValue?.hasPrefix("CONNECTION_WRITE_FORBIDDEN") == true)
            let delete = try await emulator.call("DELETE", "\(base)/deletebyname?name=ghost", auth: dataforAuth)
            #expect(delete.status == 200)
            #expect(delete.json?["msg"]?.stringValue?.hasPrefix("CONNECTION_DELETE_FORBIDDEN") == true)
        }
    }

    @Test func deleteTestAndAuth() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", "\(base)/add", auth: dataforAuth, json: object("orders"))
            let tested = try await emulator.call("PUT", "\(base)/test", auth: dataforAuth, json: object("orders"))
            #expect(tested.json == ["name": "orders", "success": true])
            let deleted = try await emulator.call("DELETE", "\(base)/deletebyname?name=orders", auth: dataforAuth)
            #expect(deleted.json == ["success": true, "code": "200"])
            let wrong = try await emulator.call("GET", "\(base)/list", auth: "Basic " + Data("admin:nope".utf8).base64EncodedString())
            #expect(wrong.status == 401)
            #expect(try await emulator.call("GET", "\(base)/list", auth: nil).status == 401)
            #expect(try await emulator.call("GET", "\(base)/list", auth: "Bearer x").status == 401)
        }
    }
}

@Suite("Emulator contract: wix-data")
struct WixDataContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(wixToken: "wix-token"))
    let path = "/wix-data/v1/external-database-connections"

    func connection(_ name: String, configuration: Value = ["secretKey": "wix-secret", "collections": ["products"]]) -> Value {
        [
            "externalDatabaseConnection": ["name": .string(name), "endpoint": "https://example.com/db", "configuration": configuration],
            "connectionType": "STANDALONE",
        ]
    }

    @Test func createReturnsReadOnlyFieldsAndTheStoredConfiguration() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", path, auth: wixAuth, json: connection("MyExternalDatabase"))
            #expect(created.status == 200)
            let object = try #require(created.json?["externalDatabaseConnection"])
            #expect(object["configuration"] == ["secretKey": "wix-secret", "collections": ["products"]])
            #expect(object["connectionStatus"]?["successful"] == true)
            #expect(object["publicKey"]?.stringValue != nil)
            #expect(object["capabilities"] != nil)
            let fetched = try await emulator.call("GET", "\(path)/MyExternalDatabase", auth: wixAuth)
            #expect(fetched.json?["externalDatabaseConnection"] == object)
            let duplicate = try await emulator.call("POST", path, auth: wixAuth, json: connection("MyExternalDatabase"))
            #expect(duplicate.status == 409)
            #expect(duplicate.json?[path: "details.applicationError.code"] != nil)
        }
    }

    @Test func putIsAFullReplacement() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call(
                "POST", path, auth: wixAuth, json: connection("db", configuration: ["secretKey": "s", "tenantId": "t", "collections": ["a"]]))
            let replaced = try await emulator.call(
                "PUT", "\(path)/db", auth: wixAuth,
                json: ["externalDatabaseConnection": ["endpoint": "https://example.com/v2", "configuration": ["collections": ["a", "b"]]]])
            #expect(replaced.status == 200)
            #expect(replaced.json?[path: "externalDatabaseConnection.configuration"] == ["collections": ["a", "b"]])
            let stored = await emulator.emulator.snapshot()["wix-data"]?.arrayValue?.first
            #expect(stored == ["name": "db", "endpoint": "https://example.com/v2", "configuration": ["collections": ["a", "b"]]])
            let unknown = try await emulator.call("PUT", "\(path)/nope", auth: wixAuth, json: ["externalDatabaseConnection": [:]])
            #expect(unknown.status == 404)
            #expect(unknown.json?["message"] != nil)
        }
    }

    @Test func listPagesByLimitAndOffset() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            for index in 1...120 { _ = try await emulator.call("POST", path, auth: wixAuth, json: connection("db-\(index)")) }
            let first = try await emulator.call("GET", path, auth: wixAuth)
            #expect(first.json?["externalDatabaseConnections"]?.arrayValue?.count == 50)
            #expect(first.json?["pagingMetadata"] == ["count": 50, "offset": 0, "total": 120, "tooManyToCount": false])
            let last = try await emulator.call("GET", "\(path)?paging.limit=100&paging.offset=100", auth: wixAuth)
            #expect(last.json?["pagingMetadata"] == ["count": 20, "offset": 100, "total": 120, "tooManyToCount": false])
            let tooMany = try await emulator.call("GET", "\(path)?paging.limit=101", auth: wixAuth)
            #expect(tooMany.status == 400)
            #expect(tooMany.json?[path: "details.validationError.fieldViolations"]?.arrayValue?.first?["field"] == "paging.limit")
        }
    }

    @Test func deleteValidationAndAuth() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", path, auth: wixAuth, json: connection("db"))
            let deleted = try await emulator.call("DELETE", "\(path)/db", auth: wixAuth)
            #expect(deleted.status == 200)
            #expect(deleted.json == [:])
            #expect(try await emulator.call("DELETE", "\(path)/db", auth: wixAuth).status == 404)
            let noName = try await emulator.call("POST", path, auth: wixAuth, json: ["externalDatabaseConnection": ["endpoint": "https://x"]])
            #expect(noName.status == 400)
            let unauthorized = try await emulator.call("GET", path, auth: "other-token")
            #expect(unauthorized.status == 401)
            #expect(try await emulator.call("GET", path, auth: nil).status == 401)
        }
    }

    @Test func theOptionalRateLimitAnswers429WithoutRetryAfter() async throws {
        var limited = configuration
        limited.wixRateLimit = RateLimit(count: 3, per: .minute)
        try await EmulatorHarness.with(limited) { emulator in
            for _ in 0..<3 { #expect(try await emulator.call("GET", path, auth: wixAuth).status == 200) }
            let refused = try await emulator.call("GET", path, auth: wixAuth)
            #expect(refused.status == 429)
            #expect(refused.headers.first(name: "Retry-After") == nil)
        }
    }
}
