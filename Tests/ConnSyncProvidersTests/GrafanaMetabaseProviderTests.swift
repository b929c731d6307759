import ConnSyncEmulator
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// The two vendors whose writes need more than the planned request, against the emulator
/// (and, for answers it never gives, a loopback listener).
@Suite("Providers: grafana and metabase")
struct GrafanaMetabaseProviderTests {
    static let password = "grafana-db-pw-41"
    static let key = [UInt8](repeating: 3, count: 32)

    static func desired(_ provider: String, _ type: VendorType) -> DesiredConnection {
        DesiredConnection(
            address: Address(provider: provider, name: "orders"), vendor: type,
            fields: DatabaseFields(
                engine: .postgresql, host: "db.internal", port: 5432, database: "orders", username: "app",
                password: .resolved(password, source: .environment("PW")), ssl: SSLSettings(mode: .require)))
    }

    /// The plan of `connection` from what `provider` observes, with the password recorded as applied when `applied`.
    static func plan(_ provider: any Provider, _ connection: DesiredConnection, applied: Bool, observe: Bool = true) async throws -> Plan {
        let objects = observe ? try await provider.observe(names: nil) : []
        var records: [PriorRecord] = []
        if applied {
            let hash = SecretHasher(key: key).hash(secret: password, field: "password", of: connection.address)
            records = [PriorRecord(address: connection.address, remoteID: objects.first?.id, isCreatedByConnsync: true, secretHashes: ["password": hash])]
        }
        let desired = DesiredState(
            source: SourceInfo(kind: .directory, location: "/t"), providers: [provider.config], databases: [], connections: [connection])
        return Planner(mappings: VendorRegistry.standard.mappings).plan(
            PlanInput(desired: desired, observations: [provider.config.name: .observed(objects)], records: records, secretKey: key))
    }

    static let orders: Value = [
        "uid": "orders", "name": "orders", "type": "grafana-postgresql-datasource", "url": "old.internal:5432", "user": "app",
        "jsonData": ["database": "orders", "sslmode": "require"], "secureJsonData": [:],
    ]

    @Test func aDeclaredSecretGrafanaDoesNotHoldIsSentAlong() async throws {
        try await withEmulator { emulator, base in
            try await emulator.seed(["grafana": [Self.orders]])
            try await withTransport { transport in
                let provider = try makeProvider(.grafana, base: base, transport: transport)
                // State says the password was applied: the plan does not send it ...
                let change = try #require(try await Self.plan(provider, Self.desired("p", .grafana), applied: true).actionable.first)
                #expect(change.request?.body?[path: "secureJsonData.password"] == nil)
                // ... but Grafana's object lacks it (secureJsonFields), so apply sends it along.
                #expect(try await provider.apply(change).status == 200)
            }
            let stored = try #require(await emulator.snapshot()["grafana"]?.arrayValue?.first)
            #expect(stored[path: "secureJsonData.password"] == .string(Self.password))
            #expect(stored["url"] == "db.internal:5432")
        }
    }

    /// Its check that nothing moved since the plan reads the plan's views: an update without
    /// them is refused before any PUT, never passed unchecked.
    @Test func anUpdateWithoutThePlansViewsIsRefusedAndNothingIsSent() async throws {
        try await withEmulator { emulator, base in
            try await emulator.seed(["grafana": [Self.orders]])
            try await withTransport { transport in
                let provider = try makeProvider(.grafana, base: base, transport: transport)
                var change = try #require(try await Self.plan(provider, Self.desired("p", .grafana), applied: true).actionable.first)
                change.before = nil
                let error = await #expect(throws: ProviderError.self) { try await provider.apply(change) }
                #expect(error?.kind == .configuration && error?.message.contains("holds no view of this data source") == true, "\(String(describing: error))")
            }
            #expect(await emulator.snapshot()["grafana"]?.arrayValue?.first?["url"] == "old.internal:5432")
        }
    }

    @Test func aCreateAnswered409CountsAsCreatedOnlyWhenGrafanaHoldsTheDesiredObject() async throws {
        try await withEmulator { emulator, base in
            var held = Self.orders
            held["url"] = "db.internal:5432"
            try await emulator.seed(["grafana": [held]])
            try await withTransport { transport in
                let provider = try makeProvider(.grafana, base: base, transport: transport)
                // Planned as a create (the list missed it, as a retried POST would find it).
                let create = try #require(try await Self.plan(provider, Self.desired("p", .grafana), applied: false, observe: false).actionable.first)
                #expect(create.action == .create)
                #expect(try await provider.apply(create).remoteID == "orders")
                // One that differs is not adopted: the 409 stands.
                var other = Self.desired("p", .grafana)
                other.fields.host = "elsewhere.internal"
                let conflicting = try #require(try await Self.plan(provider, other, applied: false, observe: false).actionable.first)
                let error = await #expect(throws: ProviderError.self) { try await provider.apply(conflicting) }
                #expect(error?.status == 409)
            }
        }
    }

    @Test(arguments: [VendorType.grafana, .metabase])
    func aDeleteOfWhatIsGoneIsDone(_ type: VendorType) async throws {
        try await withEmulator { _, base in
            try await withTransport { transport in
                let provider = try makeProvider(type, base: base, transport: transport)
                let path = type == .grafana ? "/api/datasources/uid/gone" : "/api/database/404"
                let change = Change(
                    address: Address(provider: "p", name: "gone"), vendor: type, remoteID: "gone", action: .delete,
                    request: RequestSpec(method: "DELETE", path: path))
                #expect(try await provider.apply(change).status == 404)
            }
        }
    }

    @Test func metabaseListsEitherShapeWithItsKey() async throws {
        let database = #"{"id":1,"name":"orders","engine":"postgres","details":{"host":"h","port":5432,"dbname":"d","user":"u","password":"**MetabasePass**"}}"#
        for body in ["[\(database)]", #"{"data":[\#(database)],"total":1}"#] {
            let vendor = try CaptureServer { _ in CaptureServer.Reply(body: body) }
            defer { vendor.stop() }
            try await withTransport { transport in
                let objects = try await makeProvider(.metabase, base: vendor.url + "/mb", transport: transport).observe(names: nil)
                #expect(objects.map(\.name) == ["orders"] && objects.map(\.id) == ["1"])
            }
            #expect(vendor.requests.first?.path == "/mb/api/database")
            #expect(vendor.requests.first?.headers["x-api-key"] == "tok", "X-API-Key")
        }
    }

    @Test func metabaseErrorsReadAsJSONOrText() async throws {
        let vendor = try CaptureServer { request in
            request.method == "PUT"
                ? CaptureServer.Reply(status: 400, body: #"{"message":"Host 'x.invalid' is not reachable","errors":{"host":"check your host settings"}}"#)
                : CaptureServer.Reply(status: 404, headers: [("Content-Type", "text/plain")], body: "Not found.")
        }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.metabase, base: vendor.url, transport: transport)
            let update = Change(
                address: Address(provider: "p", name: "orders"), vendor: .metabase, remoteID: "1", action: .update,
                request: RequestSpec(method: "PUT", path: "/api/database/1", body: ["details": ["host": "x.invalid"]]))
            let failed = await #expect(throws: ProviderError.self) { try await provider.apply(update) }
            #expect(failed?.summary == "400 Bad Request Host 'x.invalid' is not reachable (host: check your host settings)")
            let observe = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(observe?.summary == "404 Not Found Not found.")
        }
    }

    @Test func grafanaSendsABearerToken() async throws {
        let vendor = try CaptureServer { _ in CaptureServer.Reply(body: "[]") }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.grafana, base: vendor.url + "/grafana", transport: transport)
            #expect(try await provider.observe(names: nil).isEmpty)
        }
        #expect(vendor.requests.first?.path == "/grafana/api/datasources")
        #expect(vendor.requests.first?.headers["authorization"] == "Bearer tok")
    }
}
