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

    /// The filtered key list behind the pages is worked out once per version of the store:
    /// a soft delete, a create and a rename change the next page at once.
    @Test func lerianPagesFollowSoftDeletesAndCreatesAtOnce() async throws {
        let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(reporterToken: "reporter-jwt"))
        let product = ["X-Product-Name": "Reporting"]
        let path = "/v1/management/connections"
        try await EmulatorHarness.with(configuration) { emulator in
            var ids: [String] = []
            for name in ["aaa", "bbb", "ccc"] {
                let created = try await emulator.call("POST", path, auth: reporterAuth, headers: product, json: lerianBody(name))
                ids.append(try #require(created.json?["id"]?.stringValue))
            }
            func page(_ number: Int) async throws -> (names: [Value], total: Value?) {
                let answer = try await emulator.call("GET", "\(path)?page=\(number)&limit=2", auth: reporterAuth)
                return (answer.json?["items"]?.arrayValue?.compactMap { $0["configName"] } ?? [], answer.json?["total"])
            }
            #expect(try await page(1) == (["aaa", "bbb"], 3))
            #expect(try await emulator.call("DELETE", "\(path)/\(ids[0])", auth: reporterAuth).status == 204)
            #expect(try await page(1) == (["bbb", "ccc"], 2))
            #expect(try await page(2) == ([], 2))
            _ = try await emulator.call("POST", path, auth: reporterAuth, headers: product, json: lerianBody("ddd"))
            #expect(try await page(2) == (["ddd"], 3))
            _ = try await emulator.call("PATCH", "\(path)/\(ids[1])", auth: reporterAuth, json: ["configName": "bbb2"])
            #expect(try await page(1) == (["bbb2", "ccc"], 3))
        }
    }

    @Test func wiremockPagesArePerUserAndFollowTheQueryAndWrites() async throws {
        let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(wiremockToken: "wm-key"))
        try await EmulatorHarness.with(configuration) { emulator in
            for (user, name) in [("u1", "orders"), ("u2", "billing"), ("u1", "order-archive"), ("u1", "users")] {
                _ = try await emulator.call("POST", "/v1/users/\(user)/database-connections", auth: wmAuth, json: wiremockBody(name))
            }
            func names(_ user: String, _ query: String = "") async throws -> [Value] {
                let answer = try await emulator.call("GET", "/v1/users/\(user)/database-connections?page=1&limit=10\(query)", auth: wmAuth)
                return answer.json?["databaseConnections"]?.arrayValue?.compactMap { $0["connectionName"] } ?? []
            }
            #expect(try await names("u1") == ["orders", "order-archive", "users"])
            #expect(try await names("u2") == ["billing"])
            #expect(try await names("u1", "&q=ORDER") == ["orders", "order-archive"])
            let listed = try await emulator.call("GET", "/v1/users/u1/database-connections?page=1&limit=10&q=order", auth: wmAuth)
            let id = try #require(listed.json?["databaseConnections"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await emulator.call("DELETE", "/v1/database-connections/\(id)", auth: wmAuth).status == 204)
            #expect(try await names("u1", "&q=order") == ["order-archive"])
            _ = try await emulator.call("POST", "/v1/users/u1/database-connections", auth: wmAuth, json: wiremockBody("order-new"))
            #expect(try await names("u1", "&q=order") == ["order-archive", "order-new"])
            #expect(try await names("u1") == ["order-archive", "users", "order-new"])
            // A user id holding `?` (decoded from the path) is a list of its own, whatever the query.
            _ = try await emulator.call("POST", "/v1/users/a%3Fb/database-connections", auth: wmAuth, json: wiremockBody("theirs"))
            _ = try await emulator.call("POST", "/v1/users/a/database-connections", auth: wmAuth, json: wiremockBody("mine"))
            #expect(try await names("a%3Fb") == ["theirs"])
            #expect(try await names("a", "&q=b%3F") == [])
            #expect(try await names("a") == ["mine"])
        }
    }
}
