import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Testing

let metabaseKey = ["X-API-Key": "mb-key"]
let metabaseMask: Value = "**MetabasePass**"

/// A postgres Database as metabase.contract.md §7 creates it.
func metabaseBody(_ name: String, host: String = "db.example.com", details extra: [String: Value] = [:], top: [String: Value] = [:]) -> Value {
    var details: [String: Value] = [
        "host": .string(host), "port": 5432, "dbname": "analytics", "user": "metabase_ro", "password": "s3cret", "ssl": true,
        "ssl-mode": "require", "tunnel-enabled": false, "advanced-options": false,
    ]
    for (key, value) in extra { details[key] = value }
    var body: [String: Value] = ["name": .string(name), "engine": "postgres", "details": .object(details), "is_full_sync": true]
    for (key, value) in top { body[key] = value }
    return .object(body)
}

@Suite("Emulator contract: metabase")
struct MetabaseContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(byVendor: ["metabase": ["token": "mb-key"]]))
    let path = "/metabase/api/database"

    func stored(_ emulator: EmulatorHarness) async -> [Value] {
        await emulator.emulator.snapshot()["metabase"]?.arrayValue ?? []
    }

    func create(_ emulator: EmulatorHarness, _ body: Value) async throws -> Int {
        let reply = try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: body)
        #expect(reply.status == 200)
        return try #require(reply.json?["id"]?.intValue)
    }

    @Test func createListGetDeleteWithTheMaskedPassword() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: metabaseBody("Warehouse"))
            #expect(created.status == 200)
            let id = try #require(created.json?["id"]?.intValue)
            #expect(created.json?[path: "details.password"] == metabaseMask)
            #expect(created.json?[path: "details.host"] == "db.example.com")
            #expect(created.json?["is_on_demand"] == false)
            #expect(!created.text.contains("s3cret"))

            let list = try await emulator.call("GET", path, auth: nil, headers: metabaseKey)
            #expect(list.json?["total"] == 1)
            #expect(list.json?.objectValue.map { Set($0.keys) } == ["data", "total"])
            let item = try #require(list.json?["data"]?.arrayValue?.first)
            #expect(item["id"] == .int(id))
            #expect(item[path: "details.password"] == metabaseMask)
            #expect(!list.text.contains("s3cret"))

            let fetched = try await emulator.call("GET", "\(path)/\(id)", auth: nil, headers: metabaseKey)
            #expect(fetched.json?["name"] == "Warehouse")
            #expect(fetched.json?["can-manage"] == true)
            #expect(fetched.json?[path: "schedules.metadata_sync.schedule_type"] == "hourly")
            #expect(fetched.json?[path: "details.password"] == metabaseMask)
            #expect(await stored(emulator).first?[path: "details.password"] == "s3cret")
            // Served at the root as well.
            #expect(try await emulator.call("GET", "/api/database/\(id)", auth: nil, headers: metabaseKey).status == 200)

            let deleted = try await emulator.call("DELETE", "\(path)/\(id)", auth: nil, headers: metabaseKey)
            #expect(deleted.status == 204)
            #expect(deleted.text.isEmpty)
            let gone = try await emulator.call("GET", "\(path)/\(id)", auth: nil, headers: metabaseKey)
            #expect(gone.status == 404)
            #expect(gone.text == "Not found.")
            #expect(gone.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            #expect(try await emulator.call("DELETE", "\(path)/\(id)", auth: nil, headers: metabaseKey).status == 404)
            #expect(try await emulator.call("GET", path, auth: nil, headers: metabaseKey).json == ["data": [], "total": 0])
        }
    }

    @Test func everySensitiveDetailReadsBackAsTheMask() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let body = metabaseBody(
                "W", details: ["password": "", "tunnel-pass": "tp", "tunnel-private-key": "PK", "access-token": nil,
                               "ssl-root-cert-value": "ROOT-PEM", "ssl-root-cert-options": "uploaded"])
            let id = try await create(emulator, body)
            let fetched = try await emulator.call("GET", "\(path)/\(id)", auth: nil, headers: metabaseKey)
            let details = try #require(fetched.json?["details"])
            #expect(details["password"] == metabaseMask, "an empty string is masked too")
            #expect(details["tunnel-pass"] == metabaseMask)
            #expect(details["tunnel-private-key"] == metabaseMask)
            #expect(details["access-token"] == .null)
            #expect(details["ssl-root-cert-value"] == metabaseMask)
            #expect(details["ssl-root-cert-options"] == "uploaded")
            #expect(details["ssl-root-cert-id"]?.intValue != nil)
            #expect(!fetched.text.contains("ROOT-PEM") && !fetched.text.contains("\"tp\""))
            let secrets = await stored(emulator).first?["details"]
            #expect(secrets?["ssl-root-cert-value"] == "ROOT-PEM")
            #expect(secrets?["tunnel-private-key"] == "PK")
        }
    }

    @Test func putMergesDetailsShallowlyAndASentMaskKeepsTheSecret() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, metabaseBody("W", details: ["additional-options": "prepareThreshold=0", "ssl-root-cert-value": "PEM-1"]))
            let rootID = await stored(emulator).first?[path: "details.ssl-root-cert-id"]
            let merged = try await emulator.call(
                "PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey,
                json: ["details": ["port": 6432, "password": metabaseMask, "ssl-root-cert-value": metabaseMask]])
            #expect(merged.status == 200)
            #expect(merged.json?[path: "details.port"] == 6432)
            #expect(merged.json?[path: "details.host"] == "db.example.com")
            var details = await stored(emulator).first?["details"]
            #expect(details?["password"] == "s3cret")
            #expect(details?["additional-options"] == "prepareThreshold=0")
            #expect(details?["ssl-root-cert-value"] == "PEM-1")
            #expect(details?["ssl-root-cert-id"] == rootID)

            // A key sent as null becomes null; a real value rotates; an empty secret value deletes it.
            _ = try await emulator.call(
                "PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey,
                json: ["details": ["additional-options": nil, "password": "rotated", "ssl-root-cert-value": ""]])
            details = await stored(emulator).first?["details"]
            #expect(details?["additional-options"] == .null)
            #expect(details?["password"] == "rotated")
            #expect(details?["ssl-root-cert-value"] == nil)
            #expect(details?["ssl-root-cert-id"] == nil)
            #expect(details?["dbname"] == "analytics")
        }
    }

    @Test func putResetsAnOmittedIsOnDemandAndCacheTTLButKeepsTheRest() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let id = try await create(emulator, metabaseBody("W", top: ["is_on_demand": true, "cache_ttl": 60, "auto_run_queries": false]))
            _ = try await emulator.call("PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey, json: ["description": "sales", "is_on_demand": true, "cache_ttl": 60])
            let renamed = try await emulator.call("PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey, json: ["name": "Renamed"])
            #expect(renamed.json?["name"] == "Renamed")
            #expect(renamed.json?["is_on_demand"] == false)
            #expect(renamed.json?["cache_ttl"] == .null)
            #expect(renamed.json?["description"] == "sales")
            #expect(renamed.json?["auto_run_queries"] == false)
            // null is "not sent": the description cannot be cleared.
            let cleared = try await emulator.call("PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey, json: ["description": nil, "is_on_demand": true, "cache_ttl": 30])
            #expect(cleared.json?["description"] == "sales")
            #expect(cleared.json?["is_on_demand"] == true)
            #expect(cleared.json?["cache_ttl"] == 30)
        }
    }

    @Test func theConnectionIsTestedOnSaveAndAnInvalidHostIsRefused() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let refused = try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: metabaseBody("W", host: "db.invalid"))
            #expect(refused.status == 400)
            #expect(refused.json == ["message": "Host 'db.invalid' is not reachable", "errors": ["host": "check your host settings"]])
            #expect(await stored(emulator).isEmpty)

            let id = try await create(emulator, metabaseBody("W"))
            let moved = try await emulator.call(
                "PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey, json: ["details": ["host": "warehouse.INVALID"], "name": "X"])
            #expect(moved.status == 400)
            #expect(moved.json?["errors"] == ["host": "check your host settings"])
            #expect(await stored(emulator).first?[path: "details.host"] == "db.example.com")
            #expect(await stored(emulator).first?["name"] == "W")

            // Only a change of details or engine is tested: a rename of a broken one passes.
            try await emulator.emulator.seed(["metabase": [["id": 50, "name": "Broken", "engine": "mysql", "details": ["host": "gone.invalid"]]]])
            let rename = try await emulator.call("PUT", "\(path)/50", auth: nil, headers: metabaseKey, json: ["name": "Still broken"])
            #expect(rename.status == 200)
            let same = try await emulator.call("PUT", "\(path)/50", auth: nil, headers: metabaseKey, json: ["details": ["host": "gone.invalid"]])
            #expect(same.status == 200)

            let dryRun = try await emulator.call(
                "POST", "\(path)/validate", auth: nil, headers: metabaseKey, json: ["details": ["engine": "postgres", "details": ["host": "x.invalid"]]])
            #expect(dryRun.status == 200)
            #expect(dryRun.json?["valid"] == false)
            let fine = try await emulator.call(
                "POST", "\(path)/validate", auth: nil, headers: metabaseKey, json: ["details": ["engine": "postgres", "details": ["host": "db"]]])
            #expect(fine.json == ["valid": true])
        }
    }

    @Test func namesAreNotUniqueSoARetriedCreateDuplicates() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let first = try await create(emulator, metabaseBody("Warehouse"))
            let second = try await create(emulator, metabaseBody("Warehouse"))
            #expect(first != second)
            let list = try await emulator.call("GET", path, auth: nil, headers: metabaseKey)
            #expect(list.json?["total"] == 2)
            // Sorted by name, then engine; limit/offset are not read.
            let paged = try await emulator.call("GET", "\(path)?limit=1&offset=1", auth: nil, headers: metabaseKey)
            #expect(paged.json?["data"]?.arrayValue?.count == 2)
            let saved = try await emulator.call("GET", "\(path)?saved=true", auth: nil, headers: metabaseKey)
            #expect(saved.json?["data"]?.arrayValue?.last?["id"] == -1337)
        }
    }

    @Test func createTriesSSLFirstAndStoresAMaskLiterally() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let upgraded = try await create(emulator, metabaseBody("A", details: ["ssl": false]))
            let kept = try await create(emulator, metabaseBody("B", host: "nossl.example.com", details: ["ssl": false]))
            let literal = try await create(emulator, metabaseBody("C", details: ["password": metabaseMask]))
            let rows = await stored(emulator)
            #expect(rows.first { $0["id"] == .int(upgraded) }?[path: "details.ssl"] == true)
            #expect(rows.first { $0["id"] == .int(kept) }?[path: "details.ssl"] == false)
            #expect(rows.first { $0["id"] == .int(literal) }?[path: "details.password"] == metabaseMask)
            // PUT tries nothing: ssl false stays false.
            _ = try await emulator.call("PUT", "\(path)/\(upgraded)", auth: nil, headers: metabaseKey, json: ["details": ["ssl": false]])
            #expect(await stored(emulator).first { $0["id"] == .int(upgraded) }?[path: "details.ssl"] == false)
        }
    }

    @Test func invalidBodiesAndIDs() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            var noName = metabaseBody("x")
            noName["name"] = nil
            let missing = try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: noName)
            #expect(missing.status == 400)
            #expect(missing.json?[path: "errors.name"] == "value must be a non-blank string.")
            #expect(missing.json?[path: "specific-errors.name"]?.arrayValue?.isEmpty == false)
            var badEngine = metabaseBody("x")
            badEngine["engine"] = "nope"
            #expect(try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: badEngine).json?[path: "errors.engine"] != nil)
            var badDetails = metabaseBody("x")
            badDetails["details"] = "host=db"
            #expect(try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: badDetails).json?[path: "errors.details"] != nil)
            let badTTL = try await emulator.call("POST", path, auth: nil, headers: metabaseKey, json: metabaseBody("x", top: ["cache_ttl": 0]))
            #expect(badTTL.json?[path: "errors.cache_ttl"] != nil)
            #expect(await stored(emulator).isEmpty)
            let id = try await create(emulator, metabaseBody("x"))
            let blank = try await emulator.call("PUT", "\(path)/\(id)", auth: nil, headers: metabaseKey, json: ["name": " "])
            #expect(blank.status == 400)
            #expect(try await emulator.call("PUT", "\(path)/abc", auth: nil, headers: metabaseKey, json: [:]).json?[path: "errors.id"] != nil)
            let unknown = try await emulator.call("PUT", "\(path)/999", auth: nil, headers: metabaseKey, json: ["name": "y"])
            #expect(unknown.status == 404)
            #expect(unknown.text == "Not found.")
            #expect(try await emulator.call("GET", "\(path)/\(id)/sync_schema", auth: nil, headers: metabaseKey).text == "API endpoint does not exist.")
            #expect(try await emulator.call("GET", "\(path)/", auth: nil, headers: metabaseKey).text == "API endpoint does not exist.")
            try await emulator.emulator.seed(["metabase": [["id": 1000, "name": "Sample", "engine": "h2", "is_sample": true]]])
            let sample = try await emulator.call("PUT", "\(path)/1000", auth: nil, headers: metabaseKey, json: ["engine": "postgres"])
            #expect(sample.status == 400)
        }
    }

    @Test(arguments: [nil, "wrong", " "])
    func unauthorizedCallsGetPlainTextUnauthenticated(_ key: String?) async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            for method in ["GET", "POST"] {
                let reply = try await emulator.call(
                    method, path, auth: "Bearer mb-key", headers: key.map { ["X-API-Key": $0] } ?? [:], json: method == "POST" ? metabaseBody("W") : nil)
                #expect(reply.status == 401)
                #expect(reply.text == "Unauthenticated")
                #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            }
            #expect(await stored(emulator).isEmpty)
        }
        try await EmulatorHarness.with { emulator in
            let open = try await emulator.call("GET", path, auth: nil, headers: ["X-API-Key": "anything"])
            #expect(open.status == 200)
        }
    }
}
