import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Testing

/// List pages are spliced from per-object JSON rendered once per version of the object
/// (the emulator's list fast path). These tests prove a page never serves a stale object.
@Suite("Emulator list pages after writes")
struct ListRenderingTests {
    @Test func dataforListShowsEachUpdateAndDeleteAtOnce() async throws {
        let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(dataforUser: "admin", dataforPassword: "datafor-pw"))
        let base = "/datafor/plugin/datafor-modeler/api/connection"
        try await EmulatorHarness.with(configuration) { emulator in
            for name in ["a", "b"] {
                let object: Value = [
                    "name": .string(name), "hostname": "db.internal", "databaseName": "orders", "databasePort": "5432", "username": "app",
                    "password": "pw", "databaseType": ["shortName": "POSTGRESQL", "name": "PostgreSQL"],
                ]
                _ = try await emulator.call("POST", "\(base)/add", auth: dataforAuth, json: object)
            }
            let first = try await emulator.call("GET", "\(base)/list", auth: dataforAuth)
            #expect(first.json?["databaseConnections"]?.arrayValue?.map { $0["hostname"] } == ["db.internal", "db.internal"])
            #expect(first.json?["success"] == true)

            var changed = try #require(first.json?["databaseConnections"]?.arrayValue?.last)
            changed["hostname"] = "moved.internal"
            _ = try await emulator.call("POST", "\(base)/update", auth: dataforAuth, json: changed)
            let second = try await emulator.call("GET", "\(base)/list", auth: dataforAuth)
            #expect(second.json?["databaseConnections"]?.arrayValue?.map { $0["hostname"] } == ["db.internal", "moved.internal"])

            let deleted = try await emulator.call("DELETE", "\(base)/deletebyname?name=a", auth: dataforAuth)
            #expect(deleted.json?["success"] == true)
            let third = try await emulator.call("GET", "\(base)/list", auth: dataforAuth)
            #expect(third.json?["databaseConnections"]?.arrayValue?.map { $0["name"] } == ["b"])
        }
    }

    @Test func wixPagesShowAReplacementAndKeepTheirEnvelope() async throws {
        let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(wixToken: "wix-token"))
        let path = "/wix-data/v1/external-database-connections"
        try await EmulatorHarness.with(configuration) { emulator in
            for name in ["one", "two", "three"] {
                _ = try await emulator.call(
                    "POST", path, auth: wixAuth,
                    json: ["externalDatabaseConnection": ["name": .string(name), "endpoint": "https://example.com/db", "configuration": ["k": "v1"]]])
            }
            let before = try await emulator.call("GET", "\(path)?paging.limit=2&paging.offset=1", auth: wixAuth)
            #expect(before.json?["externalDatabaseConnections"]?.arrayValue?.map { $0["name"] } == ["two", "three"])
            _ = try await emulator.call(
                "PUT", "\(path)/two", auth: wixAuth,
                json: ["externalDatabaseConnection": ["endpoint": "https://example.com/v2", "configuration": ["k": "v2"]]])
            let after = try await emulator.call("GET", "\(path)?paging.limit=2&paging.offset=1", auth: wixAuth)
            let page = try #require(after.json)
            #expect(page["externalDatabaseConnections"]?.arrayValue?.first?[path: "configuration.k"] == "v2")
            #expect(page["externalDatabaseConnections"]?.arrayValue?.first?["endpoint"] == "https://example.com/v2")
            #expect(page["pagingMetadata"] == ["count": 2, "offset": 1, "total": 3, "tooManyToCount": false])
            // Exactly the two members of the contract's envelope, as valid JSON.
            #expect(page.objectValue.map { Set($0.keys) } == ["externalDatabaseConnections", "pagingMetadata"])
        }
    }
}
