import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import TestSupport
import Testing

@Suite("Planner: wix-data")
struct WixPlannerTests {
    let mapping = WixDataMapping()
    let provider = providerConfig("wix", .wixData)
    let secretKey = "2b723306-4d74-42a2-8438-2ff40da3e6b6"

    func options(collections: Value = ["products", "categories"]) -> Value {
        [
            "endpoint": "https://example.com/my-external-database",
            "configuration": [
                "secretKey": .secret(.resolved(secretKey, source: .environment("WIX_SECRET_KEY"))), "collections": collections,
            ],
        ]
    }

    func live(configuration: Value) -> RemoteObject {
        remote(
            mapping,
            [
                "name": "MyExternalDatabase", "endpoint": "https://example.com/my-external-database", "configuration": configuration,
                "connectionStatus": ["successful": false, "causeOfFailure": "TIMEOUT", "hasCollections": "UNKNOWN"],
                "publicKey": "-----BEGIN PUBLIC KEY-----abc", "capabilities": ["collectionModificationsSupported": false],
            ])
    }

    @Test func readOnlyFieldsAreNeverDiffed() {
        let desired = connection("wix", "MyExternalDatabase", vendor: .wixData, password: nil, options: options())
        let result = plan(
            [provider], [desired],
            remote: ["wix": [live(configuration: ["secretKey": .string(secretKey), "collections": ["products", "categories"]])]])
        #expect(result.changes.map(\.action) == [.noOp])
    }

    @Test func putRemovesAnExtraKeyAndThePlanSaysSo() throws {
        let desired = connection("wix", "MyExternalDatabase", vendor: .wixData, password: nil, options: options())
        let result = plan(
            [provider], [desired],
            remote: [
                "wix": [
                    live(configuration: [
                        "secretKey": .string(secretKey), "collections": ["products", "categories"], "tenantId": "old-site",
                    ])
                ]
            ])
        let change = try #require(result.changes.first)
        #expect(change.action == .replace)
        #expect(change.actionDescription == "replace whole object (PUT)")
        #expect(lines(change) == ["remove configuration.tenantId: \"old-site\" -> -"])
        #expect(change.diffs.first?.note == "not in desired state: removed by PUT")
        #expect(change.request?.path == "/wix-data/v1/external-database-connections/MyExternalDatabase")
        let sent = try body(change)
        #expect(sent[path: "externalDatabaseConnection.configuration.secretKey"] == .string(secretKey))
        #expect(sent[path: "externalDatabaseConnection.configuration.tenantId"] == nil)
        #expect(sent[path: "externalDatabaseConnection.connectionStatus"] == nil)
    }

    @Test func aChangedReturnedSecretIsMasked() throws {
        let desired = connection("wix", "MyExternalDatabase", vendor: .wixData, password: nil, options: options())
        let result = plan(
            [provider], [desired],
            remote: ["wix": [live(configuration: ["secretKey": "old-secret-value", "collections": ["products", "categories"]])]])
        let change = try #require(result.changes.first)
        #expect(change.diffs.count == 1)
        #expect(change.diffs.first?.isSensitive == true)
        #expect(change.diffs.first?.sensitiveSummary == "sensitive value changed")
        #expect(change.sensitivePaths.contains("configuration.secretKey"))
    }
}

@Suite("Planner: prune, scope, fingerprints")
struct PlannerScopeTests {
    let wm = WireMockCloudMapping()

    func live(_ name: String, id: String) -> RemoteObject {
        remote(
            wm,
            [
                "id": .string(id), "connectionName": .string(name), "databaseType": "POSTGRESQL", "host": "db.internal", "port": 5432,
                "databaseName": "orders", "username": "app",
            ])
    }

    @Test func pruneDeletesOnlyWhatConnsyncCreated() throws {
        let provider = providerConfig("wm", .wiremockCloud, prune: true)
        let kept = connection("wm", "orders", vendor: .wiremockCloud)
        let records = [
            priorRecord(kept.address),
            priorRecord(Address(provider: "wm", name: "old"), created: true, id: "o1"),
            priorRecord(Address(provider: "wm", name: "adopted"), created: false, id: "a1"),
        ]
        let result = plan(
            [provider], [kept], remote: ["wm": [live("orders", id: "k1"), live("old", id: "o1"), live("adopted", id: "a1")]],
            records: records)
        let deletes = result.changes.filter { $0.action == .delete }
        #expect(deletes.map(\.address.name) == ["old"])
        #expect(deletes.first?.request?.path == "/v1/database-connections/o1")
        #expect(result.summary == PlanSummary(delete: 1, unchanged: 1))
        #expect(result.summary.changes == 1)
        #expect(result.summary.hasChanges)
        #expect(result.actionable.map(\.address.name) == ["old"])
    }

    @Test func withoutPruneNothingIsDeletedAndThePlanSaysWhatIsLeftAlone() {
        let provider = providerConfig("wm", .wiremockCloud)
        let result = plan(
            [provider], [], remote: ["wm": [live("old", id: "o1")]],
            records: [priorRecord(Address(provider: "wm", name: "old"), created: true, id: "o1")])
        #expect(result.changes.isEmpty)
        #expect(result.notes.contains { $0.contains("left alone (prune is off for wm)") })
    }

    @Test func targetsLimitThePlanAndUnknownTargetsAreProblems() {
        let provider = providerConfig("wm", .wiremockCloud)
        let a = connection("wm", "a", vendor: .wiremockCloud)
        let b = connection("wm", "b", vendor: .wiremockCloud)
        let result = plan(
            [provider], [a, b], remote: ["wm": []], targets: [a.address, Address(provider: "wm", name: "typo")])
        #expect(result.changes.map(\.address) == [a.address])
        #expect(result.problems.map(\.address) == [Address(provider: "wm", name: "typo")])
    }

    @Test func aFailedProviderIsAProblemAndOthersStillPlan() {
        let wmProvider = providerConfig("wm", .wiremockCloud)
        let wix = providerConfig("wix", .wixData)
        let planner = Planner(mappings: VendorRegistry.standard.mappings)
        let result = planner.plan(
            PlanInput(
                desired: desiredState(
                    [wmProvider, wix],
                    [
                        connection("wm", "a", vendor: .wiremockCloud),
                        connection("wix", "w", vendor: .wixData, password: nil, options: ["endpoint": "https://x.example"]),
                    ]),
                observations: ["wm": .failed("401 Unauthorized"), "wix": .observed([])], records: [], secretKey: stateKey))
        #expect(result.changes.map(\.address.provider) == ["wix"])
        #expect(result.problems == [PlanProblem(address: nil, provider: "wm", message: "401 Unauthorized")])
    }

    @Test func fingerprintsMoveWithRemoteAndDesiredButNotOtherwise() {
        let provider = providerConfig("wm", .wiremockCloud)
        let desired = connection("wm", "orders", vendor: .wiremockCloud)
        let base = plan([provider], [desired], remote: ["wm": [live("orders", id: "k1")]])
        let again = plan([provider], [desired], remote: ["wm": [live("orders", id: "k1")]])
        #expect(base.remoteFingerprint == again.remoteFingerprint)
        #expect(base.desiredFingerprint == again.desiredFingerprint)
        let remoteMoved = plan([provider], [desired], remote: ["wm": [live("orders", id: "k2")]])
        #expect(remoteMoved.remoteFingerprint != base.remoteFingerprint)
        let rotated = plan(
            [provider], [connection("wm", "orders", vendor: .wiremockCloud, password: rotatedPassword)],
            remote: ["wm": [live("orders", id: "k1")]])
        #expect(rotated.desiredFingerprint != base.desiredFingerprint)
        #expect(!base.desiredFingerprint.contains(secretPassword))
    }

    @Test func noSecretInAnyDescriptionOrDump() {
        let provider = providerConfig("wm", .wiremockCloud)
        let desired = connection("wm", "orders", vendor: .wiremockCloud, password: rotatedPassword)
        let result = plan([provider], [desired], remote: ["wm": [live("orders", id: "k1")]], records: [priorRecord(desired.address)])
        var dumped = ""
        dump(result, to: &dumped)
        for text in [String(describing: result), String(reflecting: result), dumped] {
            #expect(!text.contains(rotatedPassword))
            #expect(!text.contains(secretPassword))
        }
    }
}

@Suite("Differ")
struct DifferTests {
    @Test(arguments: [
        (Value.int(5432), Value.string("5432"), true),
        (.double(5432), .int(5432), true),
        (.bool(true), .string("true"), true),
        (.string("a"), .string("b"), false),
        (.array(["a", "b"]), .array(["b", "a"]), false),
        (.object(["a": 1, "b": nil]), .object(["a": "1"]), true),
        (.secret(.resolved("x")), .string("x"), true),
        (.secret(.resolved("x")), .string("y"), false),
        (.secret(Secret(source: .environment("X"))), .string("x"), false),
    ])
    func looseEquality(lhs: Value, rhs: Value, equal: Bool) {
        #expect(Differ.looselyEqual(lhs, rhs) == equal)
    }

    @Test func onlyDeclaredKeysAreComparedOutsideExactPaths() {
        let differ = Differ(exactPaths: ["labels"], removalNote: "gone")
        let diffs = differ.diff(
            desired: ["host": "a", "labels": ["x": "1"]],
            remote: ["host": "a", "unmanaged": 1, "labels": ["x": "1", "y": "2"]])
        #expect(diffs.map(\.path) == ["labels.y"])
        #expect(diffs.map(\.kind) == [.remove])
        #expect(diffs.first?.note == "gone")
    }

    @Test func writeOnlyPathsAreSkipped() {
        let differ = Differ(exactPaths: [.root], removalNote: "gone", skip: { $0 == "password" })
        #expect(differ.diff(desired: ["password": .secret(.resolved("p"))], remote: [:]).isEmpty)
    }

    @Test func secretLookingKeysAreSensitiveEvenWithoutADeclaredSecret() {
        let differ = Differ(exactPaths: [.root], removalNote: "gone")
        let diffs = differ.diff(desired: [:], remote: ["configuration": ["apiToken": "abc"]])
        #expect(diffs.first?.isSensitive == true)
    }
}
