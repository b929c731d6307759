import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Testing

let grafanaAuth = "Bearer graf-token"

/// A PostgreSQL data source as grafana.contract.md §9.3 creates it.
func grafanaBody(
    _ name: String, uid: String? = nil, type: String = "grafana-postgresql-datasource", url: String = "db.example.com:5432",
    secure: Value? = ["password": "s3cret"], extra: [String: Value] = [:]
) -> Value {
    var body: [String: Value] = [
        "name": .string(name), "type": .string(type), "access": "proxy", "url": .string(url), "user": "grafana_ro",
        "jsonData": ["database": "analytics", "sslmode": "require", "maxOpenConns": 100],
    ]
    if let uid { body["uid"] = .string(uid) }
    if let secure { body["secureJsonData"] = secure }
    for (key, value) in extra { body[key] = value }
    return .object(body)
}

@Suite("Emulator contract: grafana")
struct GrafanaContractTests {
    let configuration = EmulatorConfiguration(credentials: EmulatorCredentials(byVendor: ["grafana": ["token": "graf-token"]]))
    /// The provider's baseURL may carry a sub-path; the emulator serves below any.
    let path = "/grafana/api/datasources"

    func stored(_ emulator: EmulatorHarness) async -> [Value] {
        await emulator.emulator.snapshot()["grafana"]?.arrayValue ?? []
    }

    @Test func createGetListDeleteRoundTripWithoutEverShowingASecret() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("warehouse-pg", uid: "warehouse-pg"))
            #expect(created.status == 200)
            #expect(created.json?["message"] == "Datasource added")
            #expect(created.json?["name"] == "warehouse-pg")
            let id = try #require(created.json?["id"]?.intValue)
            #expect(created.json?[path: "datasource.uid"] == "warehouse-pg")
            #expect(created.json?[path: "datasource.version"] == 1)
            #expect(created.json?[path: "datasource.secureJsonFields"] == ["password": true])
            #expect(!created.text.contains("s3cret"))

            let fetched = try await emulator.call("GET", "\(path)/uid/warehouse-pg", auth: grafanaAuth)
            #expect(fetched.status == 200)
            let object = try #require(fetched.json)
            #expect(object["id"] == .int(id))
            #expect(object["orgId"] == 1)
            #expect(object["url"] == "db.example.com:5432")
            #expect(object[path: "jsonData.database"] == "analytics")
            #expect(object["readOnly"] == false)
            #expect(object["secureJsonData"] == nil)
            #expect(!fetched.text.contains("s3cret"))
            // The first data source of the organization becomes the default.
            #expect(object["isDefault"] == true)

            let list = try await emulator.call("GET", path, auth: grafanaAuth)
            let items = try #require(list.json?.arrayValue)
            #expect(items.count == 1)
            #expect(items.first?["typeName"] == "PostgreSQL")
            for absent in ["version", "secureJsonFields", "basicAuthUser", "withCredentials", "secureJsonData"] {
                #expect(items.first?[absent] == nil, "list items carry no \(absent)")
            }
            // Served at the root as well.
            #expect(try await emulator.call("GET", "/api/datasources", auth: grafanaAuth).json == list.json)

            let deleted = try await emulator.call("DELETE", "\(path)/uid/warehouse-pg", auth: grafanaAuth)
            #expect(deleted.json == ["message": "Data source deleted", "id": .int(id)])
            let again = try await emulator.call("DELETE", "\(path)/uid/warehouse-pg", auth: grafanaAuth)
            #expect(again.status == 404)
            #expect(again.json == ["message": "Data source not found"])
            #expect(try await emulator.call("GET", "\(path)/uid/warehouse-pg", auth: grafanaAuth).status == 404)
            #expect(try await emulator.call("GET", path, auth: grafanaAuth).json == [])
        }
    }

    @Test func createRefusesBadBodiesAndTakenNamesAndUIDs() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let badRequest: Value = ["message": "bad request data"]
            let noAccess = try await emulator.call("POST", path, auth: grafanaAuth, json: ["name": "a", "type": "mysql"])
            #expect(noAccess.status == 400)
            #expect(noAccess.json == badRequest)
            let wrongType = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a", extra: ["basicAuth": "yes"]))
            #expect(wrongType.json == badRequest)
            #expect(try await emulator.call("POST", path, auth: grafanaAuth, raw: "{not json").json == badRequest)
            for uid in ["has space", String(repeating: "u", count: 41), "a/b"] {
                let invalid = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a", uid: uid))
                #expect(invalid.status == 400)
                #expect(invalid.json?["messageId"] == "datasource.uidInvalid")
            }
            let badURL = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a", url: "db.example.com:port"))
            #expect(badURL.json == ["message": "Validation error, invalid URL"])
            let longName = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody(String(repeating: "n", count: 191)))
            #expect(longName.json?["messageId"] == "datasource.nameInvalid")
            let lbac = try await emulator.call(
                "POST", path, auth: grafanaAuth, json: grafanaBody("a", extra: ["jsonData": ["teamHttpHeaders": ["headers": [:]]]]))
            #expect(lbac.status == 403)
            #expect(await stored(emulator).isEmpty)

            let fortyOK = String(repeating: "u", count: 40)
            #expect(try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a", uid: fortyOK)).status == 200)
            let sameName = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a", uid: "other"))
            #expect(sameName.status == 409)
            #expect(sameName.json == ["message": "data source with the same name already exists"])
            let sameUID = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("b", uid: fortyOK))
            #expect(sameUID.status == 409)
            #expect(sameUID.json == ["message": "data source with the same uid already exists"])
            // Top-level passwords are not part of the command: silently dropped.
            let ignored = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("c", extra: ["password": "top-level"]))
            #expect(ignored.status == 200)
            #expect(!(await stored(emulator).description.contains("top-level")))
        }
    }

    @Test func withoutAUIDOrNameTheServerChoosesThem() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let first = try await emulator.call("POST", path, auth: grafanaAuth, json: ["type": "mysql", "access": "proxy"])
            let second = try await emulator.call("POST", path, auth: grafanaAuth, json: ["type": "mysql", "access": "proxy", "name": ""])
            #expect(first.json?["name"] == "mysql")
            #expect(second.json?["name"] == "mysql-1")
            let uid = try #require(first.json?[path: "datasource.uid"]?.stringValue)
            #expect((1...40).contains(uid.count))
            #expect(uid.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(second.json?[path: "datasource.uid"]?.stringValue != uid)
            #expect(first.json?[path: "datasource.id"] != second.json?[path: "datasource.id"])
        }
    }

    @Test func putReplacesTheRowButMergesSecretsAndKeepsTheUser() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let body = grafanaBody(
                "warehouse", uid: "wh", secure: ["password": "p1", "tlsCACert": "CA-PEM"],
                extra: ["database": "legacy", "basicAuth": true, "basicAuthUser": "bob", "withCredentials": true])
            _ = try await emulator.call("POST", path, auth: grafanaAuth, json: body)
            let replaced = try await emulator.call(
                "PUT", "\(path)/uid/wh", auth: grafanaAuth,
                json: ["name": "warehouse", "type": "grafana-postgresql-datasource", "access": "proxy", "url": "db2.example.com:5432",
                       "secureJsonData": ["tlsClientKey": "KEY-PEM"], "version": 1])
            #expect(replaced.status == 200)
            #expect(replaced.json?["message"] == "Datasource updated")
            let object = try #require(replaced.json?["datasource"])
            #expect(object["jsonData"] == [:])
            #expect(object["user"] == "")
            #expect(object["database"] == "")
            #expect(object["basicAuth"] == false)
            #expect(object["withCredentials"] == false)
            #expect(object["isDefault"] == false)
            #expect(object["basicAuthUser"] == "bob")
            #expect(object["url"] == "db2.example.com:5432")
            #expect(object["version"] == 2)
            #expect(object["secureJsonFields"] == ["password": true, "tlsCACert": true, "tlsClientKey": true])
            #expect(!replaced.text.contains("p1") && !replaced.text.contains("PEM"))
            let secrets = await stored(emulator).first?["secureJsonData"]
            #expect(secrets == ["password": "p1", "tlsCACert": "CA-PEM", "tlsClientKey": "KEY-PEM"])

            // "" empties one secret (gone from secureJsonFields); a value rotates it.
            let emptied = try await emulator.call(
                "PUT", "\(path)/uid/wh", auth: grafanaAuth, json: grafanaBody("warehouse", secure: ["password": "", "tlsCACert": "CA-2"]))
            #expect(emptied.json?[path: "datasource.secureJsonFields"] == ["tlsCACert": true, "tlsClientKey": true])
            #expect(await stored(emulator).first?[path: "secureJsonData.tlsCACert"] == "CA-2")
        }
    }

    @Test func theVersionLockRefusesAStaleVersionAndOmittingItSkipsTheLock() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("wh", uid: "wh"))
            func put(_ version: Int?, url: String) async throws -> EmulatorHarness.Reply {
                try await emulator.call(
                    "PUT", "\(path)/uid/wh", auth: grafanaAuth, json: grafanaBody("wh", url: url, extra: version.map { ["version": .int($0)] } ?? [:]))
            }
            #expect(try await put(1, url: "a:5432").json?[path: "datasource.version"] == 2)
            let stale = try await put(1, url: "b:5432")
            #expect(stale.status == 409)
            #expect(stale.json == ["message": "Datasource has already been updated by someone else. Please reload and try again", "traceID": ""])
            #expect(await stored(emulator).first?["url"] == "a:5432")
            #expect(await stored(emulator).first?["version"] == 2)
            // A larger version forces the write (provisioning relies on it): stored = sent + 1.
            #expect(try await put(7, url: "c:5432").json?[path: "datasource.version"] == 8)
            // No version: no lock, and the counter starts again at 1.
            #expect(try await put(nil, url: "d:5432").json?[path: "datasource.version"] == 1)
            #expect(try await put(1, url: "e:5432").status == 200)
        }
    }

    @Test func theAliasPostgresReadsAsThePluginID() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("old", uid: "old", type: "postgres"))
            #expect(created.json?[path: "datasource.type"] == "grafana-postgresql-datasource")
            #expect(try await emulator.call("GET", "\(path)/uid/old", auth: grafanaAuth).json?["type"] == "grafana-postgresql-datasource")
            let item = try await emulator.call("GET", path, auth: grafanaAuth).json?.arrayValue?.first
            #expect(item?["type"] == "grafana-postgresql-datasource")
            #expect(item?["typeName"] == "PostgreSQL")
            // The row keeps what was sent.
            #expect(await stored(emulator).first?["type"] == "postgres")
            // An empty url passes for the alias (not in Grafana's list) and keeps the old one ...
            let alias = try await emulator.call("PUT", "\(path)/uid/old", auth: grafanaAuth, json: grafanaBody("old", type: "postgres", url: ""))
            #expect(alias.status == 200)
            #expect(alias.json?[path: "datasource.url"] == "db.example.com:5432")
            // ... but not for the plugin id.
            let canonical = try await emulator.call("PUT", "\(path)/uid/old", auth: grafanaAuth, json: grafanaBody("old", url: ""))
            #expect(canonical.status == 400)
            #expect(canonical.json == ["message": "Validation error, invalid URL"])
        }
    }

    @Test func putErrors() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a", uid: "a"))
            _ = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("b", uid: "b"))
            let noName = try await emulator.call("PUT", "\(path)/uid/a", auth: grafanaAuth, json: ["type": "mysql", "access": "proxy", "url": "h:1"])
            #expect(noName.json == ["message": "bad request data"])
            let missing = try await emulator.call("PUT", "\(path)/uid/nope", auth: grafanaAuth, json: grafanaBody("x"))
            #expect(missing.status == 404)
            #expect(missing.json == ["message": "Data source not found"])
            let moved = try await emulator.call("PUT", "\(path)/uid/a", auth: grafanaAuth, json: grafanaBody("a", uid: "renamed"))
            #expect(moved.status == 400)
            let taken = try await emulator.call("PUT", "\(path)/uid/a", auth: grafanaAuth, json: grafanaBody("b"))
            #expect(taken.status == 409)
            #expect(taken.json == ["message": "Failed to update datasource: data source with the same name already exists"])
            let badURL = try await emulator.call("PUT", "\(path)/uid/a", auth: grafanaAuth, json: grafanaBody("a", url: "h:x"))
            #expect(badURL.status == 400)
            #expect(await stored(emulator).map { $0["version"] } == [1, 1])
            // A rename frees the old name.
            #expect(try await emulator.call("PUT", "\(path)/uid/a", auth: grafanaAuth, json: grafanaBody("a2")).status == 200)
            #expect(try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("a")).status == 200)
        }
    }

    @Test func aReadOnlyProvisionedDataSourceRefusesWrites() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            try await emulator.emulator.seed([
                "grafana": [["uid": "prov", "name": "provisioned", "type": "mysql", "url": "m:3306", "readOnly": true, "version": 3]]
            ])
            let fetched = try await emulator.call("GET", "\(path)/uid/prov", auth: grafanaAuth)
            #expect(fetched.json?["readOnly"] == true)
            #expect(fetched.json?["version"] == 3)
            let update = try await emulator.call(
                "PUT", "\(path)/uid/prov", auth: grafanaAuth, json: grafanaBody("provisioned", type: "mysql", extra: ["version": 3]))
            #expect(update.status == 403)
            #expect(update.json == ["message": "Cannot update read-only data source"])
            let delete = try await emulator.call("DELETE", "\(path)/uid/prov", auth: grafanaAuth)
            #expect(delete.status == 403)
            #expect(delete.json == ["message": "Cannot delete read-only data source"])
            #expect(try await emulator.call("DELETE", "\(path)/name/provisioned", auth: grafanaAuth).status == 403)
            #expect(await stored(emulator).first?["url"] == "m:3306")
            #expect(try await emulator.call("GET", path, auth: grafanaAuth).json?.arrayValue?.first?["readOnly"] == true)
        }
    }

    @Test func theListIsCutAt5000AfterTheStoresByteOrder() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            var rows: [Value] = (0..<5000).map { index in
                let name = String(format: "ds-%04d", index)
                return ["uid": .string(name), "name": .string(name), "type": "mysql"]
            }
            // "Zeta" sorts before "ds-..." as bytes, so the cut drops "ds-4999"; the page then sorts it last.
            rows.append(["uid": "zeta", "name": "Zeta", "type": "mysql"])
            try await emulator.emulator.seed(["grafana": .array(rows)])
            let list = try await emulator.call("GET", path, auth: grafanaAuth)
            let names = try #require(list.json?.arrayValue?.compactMap { $0["name"]?.stringValue })
            #expect(names.count == 5000)
            #expect(names.first == "ds-0000")
            #expect(names.last == "Zeta")
            #expect(!names.contains("ds-4999"))
            #expect(list.headers.first(name: "Link") == nil)
            // Cut from the list only: the row is there.
            #expect(try await emulator.call("GET", "\(path)/uid/ds-4999", auth: grafanaAuth).status == 200)
        }
    }

    @Test func isDefaultIsExclusiveAcrossTheOrganization() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            _ = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("first", uid: "first"))
            let second = try await emulator.call(
                "POST", path, auth: grafanaAuth, json: grafanaBody("second", uid: "second", extra: ["isDefault": true]))
            #expect(second.json?[path: "datasource.isDefault"] == true)
            let first = try await emulator.call("GET", "\(path)/uid/first", auth: grafanaAuth)
            #expect(first.json?["isDefault"] == false)
            #expect(first.json?["version"] == 1)
        }
    }

    @Test func nameAndIDRoutesAndTheDisabledNumericRoutes() async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            let created = try await emulator.call("POST", path, auth: grafanaAuth, json: grafanaBody("my ds/1", uid: "mine"))
            let id = try #require(created.json?["id"]?.intValue)
            let byName = try await emulator.call("GET", "\(path)/name/my%20ds%2F1", auth: grafanaAuth)
            #expect(byName.json?["uid"] == "mine")
            #expect(try await emulator.call("GET", "\(path)/id/my%20ds%2F1", auth: grafanaAuth).json == ["id": .int(id)])
            #expect(try await emulator.call("GET", "\(path)/name/other", auth: grafanaAuth).status == 404)
            #expect(try await emulator.call("GET", "\(path)/\(id)", auth: grafanaAuth).status == 404)
            #expect(try await emulator.call("PATCH", path, auth: grafanaAuth).status == 405)
            let controlled = try await emulator.call("GET", "\(path)/uid/mine?accesscontrol=true", auth: grafanaAuth)
            #expect(controlled.json?[path: "accessControl.datasources:write"] == true)
            #expect(try await emulator.call("GET", "\(path)/uid/mine", auth: grafanaAuth).json?["accessControl"] == nil)
        }
    }

    @Test(arguments: [nil, "Bearer wrong", "Bearer ", "Token graf-token", "Basic " + Data("admin:admin".utf8).base64EncodedString()])
    func unauthorizedCallsGetA401(_ header: String?) async throws {
        try await EmulatorHarness.with(configuration) { emulator in
            for (method, route) in [("GET", path), ("POST", path), ("DELETE", "\(path)/uid/x")] {
                let reply = try await emulator.call(method, route, auth: header, json: method == "POST" ? grafanaBody("a") : nil)
                #expect(reply.status == 401)
                #expect(reply.json == ["message": "Unauthorized"])
            }
            #expect(await stored(emulator).isEmpty)
        }
    }

    @Test func withoutAConfiguredTokenAnyBearerTokenIsAccepted() async throws {
        try await EmulatorHarness.with { emulator in
            let any = try await emulator.call("GET", path, auth: "Bearer anything")
            let none = try await emulator.call("GET", path, auth: nil)
            #expect(any.status == 200)
            #expect(none.status == 401)
        }
    }
}
