import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import TestSupport
import Testing

// The planner is a pure function of (desired, observed, state): these tests feed it
// config/live pairs per vendor and check the exact diffs and requests.

let stateKey = [UInt8](repeating: 7, count: 32)
let secretPassword = "s3cr3t-Pa55word!"
let rotatedPassword = "r0tated-Pa55word!"

func providerConfig(_ name: String, _ type: VendorType, prune: Bool = false) -> ProviderConfig {
    ProviderConfig(
        name: name, type: type, baseURL: "http://127.0.0.1:1", auth: ProviderAuth(token: .resolved("tok")), settings: testSettings(type), prune: prune)
}

func connection(
    _ provider: String, _ name: String, vendor: VendorType, host: String = "db.internal", port: Int = 5432,
    password: String? = secretPassword, labels: [String: String] = [:], options: Value = .emptyObject,
    engine: DatabaseEngine = .postgresql, schema: String? = nil
) -> DesiredConnection {
    DesiredConnection(
        address: Address(provider: provider, name: name), vendor: vendor, labels: labels,
        fields: DatabaseFields(
            engine: vendor == .wixData ? nil : engine, host: vendor == .wixData ? nil : host, port: vendor == .wixData ? nil : port,
            database: vendor == .wixData ? nil : "orders", username: vendor == .wixData ? nil : "app",
            password: password.map { .resolved($0, source: .environment("ORDERS_DB_PASSWORD")) }, schema: schema),
        options: options)
}

func desiredState(_ providers: [ProviderConfig], _ connections: [DesiredConnection]) -> DesiredState {
    DesiredState(source: SourceInfo(kind: .directory, location: "/repo"), providers: providers, databases: [], connections: connections)
}

func remote(_ mapping: any VendorMapping, _ raw: Value) -> RemoteObject {
    let identity = mapping.identity(of: raw)!
    return RemoteObject(id: identity.id, name: identity.name, raw: raw)
}

/// The prior record connsync would have after applying `password` to `address`.
func priorRecord(_ address: Address, password: String? = secretPassword, created: Bool = false, id: String? = nil) -> PriorRecord {
    let hasher = SecretHasher(key: stateKey)
    var hashes: [String: String] = [:]
    if let password { hashes["password"] = hasher.hash(secret: password, field: "password", of: address) }
    return PriorRecord(address: address, remoteID: id, isCreatedByConnsync: created, secretHashes: hashes)
}

func plan(
    _ providers: [ProviderConfig], _ connections: [DesiredConnection], remote objects: [String: [RemoteObject]],
    records: [PriorRecord] = [], targets: [Address] = []
) -> Plan {
    let planner = Planner(mappings: VendorRegistry.standard.mappings)
    return planner.plan(
        PlanInput(
            desired: desiredState(providers, connections), observations: objects.mapValues { .observed($0) }, records: records,
            secretKey: stateKey, targets: targets))
}

func lines(_ change: Change) -> [String] {
    change.diffs.map { diff in
        let before = diff.isSensitive ? "(sensitive)" : (diff.before?.description ?? "-")
        let after = diff.isSensitive ? "(sensitive)" : (diff.after?.description ?? "-")
        return "\(diff.kind.rawValue) \(diff.path): \(before) -> \(after)"
    }
}

func body(_ change: Change) throws -> Value {
    let data = try #require(change.request?.body).jsonData(secrets: .reveal)
    return try Value(json: data)
}

@Suite("Planner: wiremock-cloud")
struct WireMockPlannerTests {
    let mapping = WireMockCloudMapping()
    let provider = providerConfig("wm", .wiremockCloud)

    func live(host: String = "db.internal", port: Int = 5432, id: String = "abc123", name: String = "orders") -> RemoteObject {
        remote(
            mapping,
            [
                "id": .string(id), "connectionName": .string(name), "databaseType": "POSTGRESQL", "host": .string(host),
                "port": .int(port), "databaseName": "orders", "username": "app", "links": ["self": "/v1/database-connections/abc123"],
            ])
    }

    @Test func convergedIsNoOpAndSendsNothing() throws {
        let desired = connection("wm", "orders", vendor: .wiremockCloud)
        let result = plan([provider], [desired], remote: ["wm": [live()]], records: [priorRecord(desired.address)])
        #expect(result.changes.map(\.action) == [.noOp])
        #expect(result.summary == PlanSummary(unchanged: 1))
        #expect(result.summary.changes == 0)
        #expect(!result.summary.hasChanges)
        #expect(result.problems.isEmpty)
    }

    @Test func driftPatchesTheFullBaseObjectWithoutAnUnchangedPassword() throws {
        let desired = connection("wm", "orders", vendor: .wiremockCloud, host: "new-db.internal", port: 5433)
        let result = plan([provider], [desired], remote: ["wm": [live()]], records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(change.action == .update)
        #expect(lines(change) == ["change host: \"db.internal\" -> \"new-db.internal\"", "change port: 5432 -> 5433"])
        #expect(change.request?.method == "PATCH")
        #expect(change.request?.path == "/v1/database-connections/abc123")
        #expect(
            try body(change) == [
                "databaseConnection": [
                    "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "new-db.internal", "port": 5433,
                    "databaseName": "orders", "username": "app",
                ]
            ])
    }

    @Test func rotationShowsSensitiveChangeAndSendsTheNewPassword() throws {
        let desired = connection("wm", "orders", vendor: .wiremockCloud, password: rotatedPassword)
        let result = plan([provider], [desired], remote: ["wm": [live()]], records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(change.action == .update)
        #expect(change.diffs.count == 1)
        #expect(change.diffs.first?.sensitiveSummary == "sensitive value changed")
        #expect(try body(change)[path: "databaseConnection.password"] == .string(rotatedPassword))
    }

    @Test func neverAppliedSecretIsSetOnceThenQuiet() throws {
        let desired = connection("wm", "orders", vendor: .wiremockCloud)
        let first = plan([provider], [desired], remote: ["wm": [live()]])
        let change = try #require(first.changes.first)
        #expect(change.diffs.first?.sensitiveSummary == "sensitive value, not yet applied by connsync")
        #expect(try body(change)[path: "databaseConnection.password"] == .string(secretPassword))
        // After apply, state records the hash: the next plan is quiet.
        let hashes = try #require(change.recordUpdate?.secretHashes)
        let record = PriorRecord(address: desired.address, remoteID: "abc123", isCreatedByConnsync: false, secretHashes: hashes)
        let second = plan([provider], [desired], remote: ["wm": [live()]], records: [record])
        #expect(second.changes.map(\.action) == [.noOp])
    }

    @Test func undeclaredPasswordIsLeftAlone() throws {
        let desired = connection("wm", "orders", vendor: .wiremockCloud, host: "moved.internal", password: nil)
        let result = plan([provider], [desired], remote: ["wm": [live()]], records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(try body(change)[path: "databaseConnection.password"] == nil)
        #expect(change.refusal == nil)
    }

    @Test func createPostsUnderTheUserWithThePassword() throws {
        let desired = connection("wm", "orders", vendor: .wiremockCloud)
        let result = plan([provider], [desired], remote: ["wm": []])
        let change = try #require(result.changes.first)
        #expect(change.action == .create)
        #expect(change.request?.path == "/v1/users/u1/database-connections")
        #expect(try body(change)[path: "databaseConnection.password"] == .string(secretPassword))
        #expect(change.recordUpdate?.isCreatedByConnsync == true)
        #expect(lines(change).contains("add password: (sensitive) -> (sensitive)"))
    }

    @Test func createWithoutPasswordIsAProblemNotAChange() {
        let desired = connection("wm", "orders", vendor: .wiremockCloud, password: nil)
        let result = plan([provider], [desired], remote: ["wm": []])
        #expect(result.changes.isEmpty)
        #expect(result.problems.map(\.address) == [desired.address])
        #expect(result.problems.first?.message.contains("needs a password to create") == true)
    }

    @Test func twoRemoteObjectsWithTheNameAreNeverGuessed() {
        let desired = connection("wm", "orders", vendor: .wiremockCloud)
        let result = plan([provider], [desired], remote: ["wm": [live(id: "a1"), live(id: "b2")]])
        #expect(result.changes.isEmpty)
        #expect(result.problems.first?.message.contains("2 remote connections at wm are named \"orders\" (ids a1, b2)") == true)
    }
}

@Suite("Planner: lerian-reporter")
struct LerianPlannerTests {
    let mapping = LerianReporterMapping()
    let provider = providerConfig("rep", .lerianReporter)

    func live(metadata: Value = ["team": "data"], host: String = "db.internal") -> RemoteObject {
        remote(
            mapping,
            [
                "id": "0199-uuid", "configName": "orders", "productName": "reporting", "type": "POSTGRESQL", "host": .string(host),
                "port": 5432, "databaseName": "orders", "userName": "app", "schema": "public", "ssl": ["mode": "require"],
                "metadata": metadata, "createdAt": "2024-01-15T10:30:00Z", "updatedAt": "2024-01-15T10:30:00Z",
            ])
    }

    @Test func patchSendsOnlyChangedFields() throws {
        let desired = connection(
            "rep", "orders", vendor: .lerianReporter, host: "new.internal", labels: ["team": "data"], schema: "public")
        var withSSL = desired
        withSSL.fields.ssl = SSLSettings(mode: .require)
        let result = plan([provider], [withSSL], remote: ["rep": [live()]], records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(lines(change) == ["change host: \"db.internal\" -> \"new.internal\""])
        #expect(change.request?.path == "/v1/management/connections/0199-uuid")
        #expect(try body(change) == ["host": "new.internal"])
    }

    @Test func metadataReplacesTheStoredMapSoExtraKeysShowAsRemoved() throws {
        var desired = connection("rep", "orders", vendor: .lerianReporter, labels: ["team": "data"], schema: "public")
        desired.fields.ssl = SSLSettings(mode: .require)
        let result = plan(
            [provider], [desired], remote: ["rep": [live(metadata: ["team": "data", "owner": "bob"])]],
            records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(lines(change) == ["remove labels.owner: \"bob\" -> -"])
        #expect(try body(change) == ["metadata": ["team": "data"]])
    }

    @Test func createSendsProductHeader() throws {
        let desired = connection("rep", "orders", vendor: .lerianReporter)
        let result = plan([provider], [desired], remote: ["rep": []])
        let change = try #require(result.changes.first)
        #expect(change.request?.headers["X-Product-Name"] == "reporting")
        #expect(try body(change)["configName"] == "orders")
        #expect(try body(change)["type"] == "POSTGRESQL")
        #expect(try body(change)["userName"] == "app")
    }

    @Test func createWithoutProductNameIsAProblem() {
        var provider = self.provider
        provider.settings["productName"] = nil
        let result = plan([provider], [connection("rep", "orders", vendor: .lerianReporter)], remote: ["rep": []])
        #expect(result.problems.first?.message.contains("spec.productName") == true)
    }
}

@Suite("Planner: credible-data")
struct CrediblePlannerTests {
    let mapping = CredibleDataMapping()
    let provider = providerConfig("cd", .credibleData)

    func live(host: String = "db.internal") -> RemoteObject {
        remote(
            mapping,
            [
                "resource": "/api/v0/projects/analytics/connections/orders", "name": "orders", "type": "postgres",
                "attributes": ["dialectName": "postgres", "isPool": false, "canPersist": true, "canStream": true],
                "postgresConnection": ["host": .string(host), "port": 5432, "databaseName": "orders", "userName": "app"],
            ])
    }

    @Test func updateSendsTheWholeBlockWithItsPassword() throws {
        let desired = connection("cd", "orders", vendor: .credibleData, host: "new.internal")
        let result = plan([provider], [desired], remote: ["cd": [live()]], records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(change.refusal == nil)
        #expect(change.request?.method == "PATCH")
        #expect(change.request?.path == "/api/v0/projects/analytics/connections/orders")
        #expect(
            try body(change) == [
                "postgresConnection": [
                    "host": "new.internal", "port": 5432, "databaseName": "orders", "userName": "app", "password": .string(secretPassword),
                ]
            ])
    }

    @Test func anUndeclaredSecretIsNeverClearedSilently() throws {
        let desired = connection("cd", "orders", vendor: .credibleData, host: "new.internal", password: nil)
        let result = plan([provider], [desired], remote: ["cd": [live()]])
        let change = try #require(result.changes.first)
        #expect(change.refusal?.contains("would clear password") == true)
        #expect(lines(change).contains("remove password: (sensitive) -> (sensitive)"))
    }

    @Test func undeclaredSecretWithoutOtherChangesPlansNothing() {
        let desired = connection("cd", "orders", vendor: .credibleData, password: nil)
        let result = plan([provider], [desired], remote: ["cd": [live()]])
        #expect(result.changes.map(\.action) == [.noOp])
    }

    @Test func createPostsTypeAndBlock() throws {
        let desired = connection("cd", "orders", vendor: .credibleData, engine: .mysql)
        let result = plan([provider], [desired], remote: ["cd": []])
        let change = try #require(result.changes.first)
        #expect(try body(change)["type"] == "mysql")
        #expect(try body(change)[path: "mysqlConnection.user"] == "app")
        #expect(try body(change)[path: "mysqlConnection.database"] == "orders")
    }
}

@Suite("Planner: datafor")
struct DataforPlannerTests {
    let mapping = DataforMapping()
    let provider = providerConfig("df", .datafor)

    func live(host: String = "db.internal") -> RemoteObject {
        remote(
            mapping,
            [
                "id": "42", "name": "orders", "hostname": .string(host), "databaseName": "orders", "databasePort": "5432",
                "username": "app", "password": nil, "accessType": "NATIVE",
                "databaseType": ["shortName": "POSTGRESQL", "name": "PostgreSQL", "defaultDatabasePort": 5432],
                "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"], "driverId": "postgresql", "PORT_NUMBER": "5432",
                "connectionPoolingProperties": ["initialSize": "1", "maxActive": "50", "maxIdle": "10", "minIdle": "1"],
                "extraOptions": ["POSTGRESQL.TimeZone": "Australia/Melbourne"],
            ])
    }

    @Test func convergedIsNoOpDespiteStringPorts() {
        let desired = connection("df", "orders", vendor: .datafor)
        let result = plan([provider], [desired], remote: ["df": [live()]], records: [priorRecord(desired.address)])
        #expect(result.changes.map(\.action) == [.noOp])
    }

    @Test func updateKeepsUnmanagedFieldsAndNullPassword() throws {
        let desired = connection("df", "orders", vendor: .datafor, host: "new.internal", port: 6432)
        let result = plan([provider], [desired], remote: ["df": [live()]], records: [priorRecord(desired.address)])
        let change = try #require(result.changes.first)
        #expect(lines(change) == ["change host: \"db.internal\" -> \"new.internal\"", "change port: 5432 -> 6432"])
        let sent = try body(change)
        #expect(change.request?.path == "/plugin/datafor-modeler/api/connection/update")
        #expect(sent["id"] == "42")
        #expect(sent["hostname"] == "new.internal")
        #expect(sent["databasePort"] == "6432")
        #expect(sent[path: "attributes.PORT_NUMBER"] == "6432")
        #expect(sent["PORT_NUMBER"] == "6432")
        #expect(sent["password"] == .null)
        #expect(sent[path: "connectionPoolingProperties.maxActive"] == "50")
        #expect(sent[path: "extraOptions.POSTGRESQL.TimeZone"] == nil)
        #expect(sent["extraOptions"] == ["POSTGRESQL.TimeZone": "Australia/Melbourne"])
    }
}
