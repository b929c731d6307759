import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import TestSupport
import Testing

@Suite("Planner: grafana")
struct GrafanaPlannerTests {
    let mapping = GrafanaMapping()
    let provider = providerConfig("gf", .grafana)

    static func listed(url: String = "db.internal:5432", type: String = "postgres", readOnly: Bool = false) -> Value {
        [
            "id": 7, "uid": "orders", "orgId": 1, "name": "orders", "type": .string(type), "typeName": "PostgreSQL", "access": "proxy",
            "url": .string(url), "user": "app", "database": "", "basicAuth": false, "isDefault": false, "readOnly": .bool(readOnly),
            "jsonData": ["database": "orders", "sslmode": "require", "maxOpenConns": 100],
        ]
    }

    func desired(ssl: SSLMode? = .require) -> DesiredConnection {
        var connection = connection("gf", "orders", vendor: .grafana)
        connection.fields.ssl = ssl.map { SSLSettings(mode: $0) }
        return connection
    }

    @Test func theListNormalizesToTheCommonFields() {
        let view = mapping.normalize(Self.listed())
        #expect(view["engine"] == "postgresql", "the postgres alias reads as the plugin id")
        #expect(view["host"] == "db.internal" && view["port"] == 5432 && view["username"] == "app" && view["database"] == "orders")
        #expect(view["ssl"] == ["mode": "require"])
        #expect(view["jsonData"] == ["maxOpenConns": 100])
        for owned in ["id", "uid", "orgId", "name", "typeName", "readOnly"] { #expect(view[owned] == nil, "\(owned)") }
        #expect(mapping.normalize(Self.listed(type: "mysql"))["engine"] == "mysql")
    }

    @Test(arguments: [
        ("db.internal:5432", "db.internal", 5432), ("[::1]:5432", "[::1]", 5432), ("/var/run/postgresql", "/var/run/postgresql", nil),
        ("db.internal", "db.internal", nil),
    ] as [(String, String, Int?)])
    func urlsAreHostAndPort(_ url: String, _ host: String, _ port: Int?) {
        let view = mapping.normalize(Self.listed(url: url))
        #expect(view["host"] == .string(host))
        #expect(view["port"] == port.map(Value.int))
    }

    @Test func aConvergedDataSourceIsANoOpAndUnmanagedKeysAreNeverRemoved() throws {
        let address = Address(provider: "gf", name: "orders")
        let result = plan([provider], [desired()], remote: ["gf": [remote(mapping, Self.listed())]], records: [priorRecord(address)])
        let change = try #require(result.changes.first)
        #expect(change.action == .noOp, "\(lines(change))")
    }

    @Test func anUpdateSendsOnlyTheSecretsBeingSent() throws {
        var changed = desired()
        changed.options = ["secureJsonData": ["tlsClientKey": .secret(.resolved("k", source: .environment("K")))]]
        let address = Address(provider: "gf", name: "orders")
        let result = plan([provider], [changed], remote: ["gf": [remote(mapping, Self.listed(url: "old:5432"))]], records: [priorRecord(address)])
        let change = try #require(result.changes.first)
        #expect(change.request?.method == "PUT" && change.request?.path == "/api/datasources/uid/orders")
        let sent = try body(change)
        #expect(sent["url"] == "db.internal:5432")
        #expect(sent[path: "secureJsonData.password"] == nil, "applied before, unchanged")
        #expect(sent[path: "secureJsonData.tlsClientKey"] == "k", "declared, never applied: sent")
        #expect(lines(change).contains("change secureJsonData.tlsClientKey: (sensitive) -> (sensitive)"))
    }

    @Test func aCreateCarriesTheUidWhenTheNameIsOneAndProxyAccess() throws {
        let result = plan([provider], [desired(), connection("gf", "orders.v2", vendor: .grafana)], remote: ["gf": []])
        let bodies = try result.changes.map(body)
        #expect(bodies[0]["uid"] == "orders" && bodies[0]["access"] == "proxy")
        #expect(bodies[1]["uid"] == nil, "a name with a dot is not a uid")
        #expect(bodies[0][path: "jsonData.sslmode"] == "require" && bodies[0][path: "secureJsonData.password"] == .string(secretPassword))
    }

    @Test func aReadOnlyDataSourceIsNotedAndRefused() throws {
        let result = plan([provider], [desired()], remote: ["gf": [remote(mapping, Self.listed(url: "old:5432", readOnly: true))]])
        let change = try #require(result.changes.first)
        #expect(change.refusal?.hasPrefix("provisioned read-only at Grafana") == true)
        #expect(change.notes.contains { $0.hasPrefix("provisioned read-only at Grafana") })
    }

    @Test func aListAtTheCapIsNoted() {
        let objects = (0..<5000).map { remote(mapping, ["uid": .string("u\($0)"), "name": .string("ds\($0)"), "type": "mysql"]) }
        let result = plan([provider], [desired()], remote: ["gf": objects])
        #expect(result.notes.contains { $0.hasPrefix("gf: the list holds 5000 data sources, Grafana's default cap") })
        let fewer = plan([provider], [desired()], remote: ["gf": Array(objects.prefix(4999))])
        #expect(!fewer.notes.contains { $0.contains("cap") })
    }
}

@Suite("Planner: metabase")
struct MetabasePlannerTests {
    let mapping = MetabaseMapping()
    let provider = providerConfig("mb", .metabase)

    static func listed(host: String = "db.internal", mode: String? = "require") -> Value {
        var details: [String: Value] = [
            "host": .string(host), "port": 5432, "dbname": "orders", "user": "app", "password": "**MetabasePass**",
            "ssl-root-cert-value": "**MetabasePass**", "ssl-root-cert-options": "uploaded", "ssl-root-cert-id": 12, "tunnel-enabled": false,
        ]
        details["ssl"] = .bool(mode != nil)
        if let mode { details["ssl-mode"] = .string(mode) }
        return [
            "id": 3, "name": "orders", "engine": "postgres", "details": .object(details), "is_on_demand": true, "cache_ttl": 24,
            "features": ["foreign-keys"], "dbms_version": ["flavor": "PostgreSQL"], "created_at": "2026-01-01", "schedules": [:],
        ]
    }

    func desired(ssl: SSLMode? = .require, engine: DatabaseEngine = .postgresql) -> DesiredConnection {
        var connection = connection("mb", "orders", vendor: .metabase, engine: engine)
        connection.fields.ssl = ssl.map { SSLSettings(mode: $0) }
        return connection
    }

    @Test func theMaskAndServerFieldsNeverShow() {
        let view = mapping.normalize(Self.listed())
        #expect(view["engine"] == "postgresql" && view["host"] == "db.internal" && view["database"] == "orders" && view["username"] == "app")
        #expect(view["password"] == nil, "the mask stands for a stored secret")
        #expect(view["details"] == ["ssl": true, "ssl-mode": "require", "ssl-root-cert-options": "uploaded", "tunnel-enabled": false])
        for computed in ["id", "name", "features", "dbms_version", "created_at", "schedules"] { #expect(view[computed] == nil, "\(computed)") }
        #expect(view["is_on_demand"] == true)
    }

    static let sslCases: [(SSLMode, DatabaseEngine, Value)] = [
        (.disable, .postgresql, ["ssl": false]), (.verifyFull, .postgresql, ["ssl": true, "ssl-mode": "verify-full"]), (.require, .mysql, ["ssl": true]),
    ]

    @Test(arguments: sslCases)
    func sslFollowsTheTable(_ mode: SSLMode, _ engine: DatabaseEngine, _ expected: Value) {
        let object = mapping.vendorObject(for: desired(ssl: mode, engine: engine), provider: provider)
        var details = object["details"]?.objectValue ?? [:]
        for key in ["host", "port", "dbname", "user", "password"] { details[key] = nil }
        #expect(Value.object(details) == expected)
    }

    @Test func aConvergedDatabaseIsANoOpThroughTheMask() throws {
        let address = Address(provider: "mb", name: "orders")
        let result = plan([provider], [desired()], remote: ["mb": [remote(mapping, Self.listed())]], records: [priorRecord(address)])
        #expect(try #require(result.changes.first).action == .noOp)
    }

    @Test func anUpdateCarriesTheChangedFieldsAndWhatMetabaseWouldReset() throws {
        let address = Address(provider: "mb", name: "orders")
        let result = plan([provider], [desired()], remote: ["mb": [remote(mapping, Self.listed(host: "old"))]], records: [priorRecord(address)])
        let change = try #require(result.changes.first)
        #expect(change.request?.path == "/api/database/3")
        let sent = try body(change)
        #expect(sent[path: "details.host"] == "db.internal")
        #expect(sent[path: "details.password"] == nil, "the password is sent only when it is to change")
        #expect(sent["is_on_demand"] == true && sent["cache_ttl"] == 24)
        #expect(sent["name"] == nil && sent["engine"] == nil)
        // A rotated password is sent.
        let rotated = plan(
            [provider], [desired()], remote: ["mb": [remote(mapping, Self.listed())]], records: [priorRecord(address, password: rotatedPassword)])
        let rotation = try #require(rotated.changes.first)
        #expect(lines(rotation) == ["change password: (sensitive) -> (sensitive)"])
        #expect(try body(rotation)[path: "details.password"] == .string(secretPassword))
    }

    @Test func aDeleteSaysWhatItTakesWithIt() throws {
        var pruning = provider
        pruning.prune = true
        let record = priorRecord(Address(provider: "mb", name: "orders"), created: true, id: "3")
        let result = plan([pruning], [], remote: ["mb": [remote(mapping, Self.listed())]], records: [record])
        let change = try #require(result.changes.first)
        #expect(change.action == .delete && change.request?.path == "/api/database/3")
        #expect(change.notes == ["deleting a Metabase database also deletes every saved question, model and metric on it; there is no undo"])
    }
}
