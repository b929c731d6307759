import ConnSyncCLI
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// Golden-file tests of the three plan views, over a plan built by the real planner
// from config/live pairs (the cli.md example: an update with a rotated password, a
// create, and a wix-data PUT that removes a key).

let viewKey = [UInt8](repeating: 9, count: 32)
let oldPassword = "old-Pa55word-never-shown"
let newPassword = "new-Pa55word-never-shown"
let wixSecretKey = "2b723306-4d74-42a2-8438-2ff40da3e6b6"
let allSecrets = [oldPassword, newPassword, wixSecretKey, "tok-never-shown"]

func fixturePlan() -> Plan {
    let providers = [
        ProviderConfig(
            name: "reporter-prod", type: .lerianReporter, baseURL: "https://reporter.example", auth: ProviderAuth(token: .resolved("tok-never-shown")),
            settings: ["productName": "reporting"]),
        ProviderConfig(name: "wiremock-prod", type: .wiremockCloud, auth: ProviderAuth(token: .resolved("tok-never-shown")), settings: ["userId": "u1"]),
        ProviderConfig(name: "wix-site", type: .wixData, auth: ProviderAuth(token: .resolved("tok-never-shown"))),
    ]
    let password = Secret.resolved(newPassword, source: .environment("ORDERS_DB_PASSWORD"))
    let connections = [
        DesiredConnection(
            address: Address(provider: "reporter-prod", name: "orders-reporting"), vendor: .lerianReporter,
            fields: DatabaseFields(
                engine: .postgresql, host: "new-db.example.com", port: 5433, database: "orders", username: "app", password: password)),
        DesiredConnection(
            address: Address(provider: "wiremock-prod", name: "orders"), vendor: .wiremockCloud,
            fields: DatabaseFields(
                engine: .postgresql, host: "orders.db.internal", port: 5432, database: "orders", username: "app", password: password)),
        DesiredConnection(
            address: Address(provider: "wix-site", name: "MyExternalDatabase"), vendor: .wixData,
            options: [
                "endpoint": "https://example.com/my-external-database",
                "configuration": [
                    "secretKey": .secret(.resolved(wixSecretKey, source: .environment("WIX_SECRET_KEY"))), "collections": ["categories"],
                ],
            ]),
    ]
    let hasher = SecretHasher(key: viewKey)
    let reporterAddress = connections[0].address
    let observations: [String: ProviderObservation] = [
        "reporter-prod": .observed([
            RemoteObject(
                id: "a1b2", name: "orders-reporting",
                raw: [
                    "id": "a1b2", "configName": "orders-reporting", "type": "POSTGRESQL", "host": "old-db.example.com", "port": 5432,
                    "databaseName": "orders", "userName": "app", "createdAt": "2024-01-15T10:30:00Z",
                ])
        ]),
        "wiremock-prod": .observed([]),
        "wix-site": .observed([
            RemoteObject(
                id: nil, name: "MyExternalDatabase",
                raw: [
                    "name": "MyExternalDatabase", "endpoint": "https://example.com/my-external-database",
                    "configuration": ["secretKey": .string(wixSecretKey), "collections": ["categories", "products"]],
                    "connectionStatus": ["successful": true],
                ])
        ]),
    ]
    let records = [
        PriorRecord(
            address: reporterAddress, remoteID: "a1b2", isCreatedByConnsync: false,
            secretHashes: ["password": hasher.hash(secret: oldPassword, field: "password", of: reporterAddress)])
    ]
    return Planner(mappings: VendorRegistry.standard.mappings).plan(
        PlanInput(
            desired: DesiredState(
                source: SourceInfo(kind: .git, location: "/repo", ref: "main", commit: "3f2a9c1e0d4b5a69788796a5b4c3d2e1f0a9b8c7"),
                providers: providers, databases: [], connections: connections),
            observations: observations, records: records, secretKey: viewKey))
}

/// The golden file `name`. With `CONNSYNC_UPDATE_GOLDEN=1`, `actual` is first written into the
/// source tree's Fixtures folder (review the diff before committing).
func golden(_ name: String, actual: String, file: String = #filePath) throws -> String {
    if ProcessInfo.processInfo.environment["CONNSYNC_UPDATE_GOLDEN"] == "1" {
        let source = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        try Data(actual.utf8).write(to: source)
        return actual
    }
    let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(name)"))
    return try String(contentsOf: url, encoding: .utf8)
}

@Suite("Plan views")
struct PlanViewTests {
    @Test func textPlanMatchesTheGoldenFile() throws {
        let text = PlanTextView(style: .plain).render(fixturePlan())
        #expect(text == (try golden("plan.txt", actual: text)))
        #expect(leaked(text).isEmpty)
    }

    @Test func textPlanLinesFollowTheContract() {
        let text = PlanTextView(style: .plain).render(fixturePlan())
        #expect(text.hasPrefix("connsync plan · source /repo @ 3f2a9c1 · 3 connections · 3 providers\n"))
        #expect(text.contains("  ~ reporter-prod/orders-reporting  update in place (PATCH)\n"))
        #expect(text.contains("      ~ host: \"old-db.example.com\" -> \"new-db.example.com\"\n"))
        #expect(text.contains("      ~ port: 5432 -> 5433\n"))
        #expect(text.contains("      ~ password: (sensitive value changed)\n"))
        #expect(text.contains("  + wiremock-prod/orders  create (POST)\n"))
        #expect(text.contains("  ~ wix-site/MyExternalDatabase  replace whole object (PUT)\n"))
        #expect(text.contains("      - configuration.collections[1]") == false)
        #expect(text.contains("      ~ configuration.collections: [\"categories\",\"products\"] -> [\"categories\"]\n"))
        #expect(text.hasSuffix("Plan: 1 to create, 2 to update, 0 to delete, 0 unchanged.\n"))
    }

    @Test func colourOnlyWhenAsked() {
        let plain = PlanTextView(style: .plain).render(fixturePlan())
        let colored = PlanTextView(style: TextStyle(isColored: true)).render(fixturePlan())
        #expect(!plain.contains("\u{1B}["))
        #expect(colored.contains("\u{1B}[33m~\u{1B}[0m"))
    }

    @Test(arguments: [
        (false, [String: String](), true, true),
        (true, [String: String](), true, false),
        (false, ["NO_COLOR": "1"], true, false),
        (false, ["NO_COLOR": ""], true, true),
        (false, [String: String](), false, false),
    ])
    func colourRules(flag: Bool, environment: [String: String], terminal: Bool, expected: Bool) {
        #expect(TextStyle.shouldColor(noColorFlag: flag, environment: environment, isTerminal: terminal) == expected)
    }

    @Test func noChangesLine() {
        let plan = Plan(
            source: SourceInfo(kind: .directory, location: "x"),
            changes: [Change(address: Address(provider: "p", name: "a"), vendor: .wixData, action: .noOp)], connectionCount: 1)
        #expect(PlanTextView.summaryLine(plan) == "No changes. 1 connection up to date.")
    }

    @Test func jsonPlanHasTheContractShapeAndMasksSecrets() throws {
        let text = PlanJSONView().render(fixturePlan())
        #expect(leaked(text).isEmpty)
        let json = try Value(json: text)
        #expect(json["format_version"] == "1.0")
        #expect(json[path: "source.commit"] == "3f2a9c1e0d4b5a69788796a5b4c3d2e1f0a9b8c7")
        #expect(json[path: "source.kind"] == "git")
        #expect(json["summary"] == ["create": 1, "update": 2, "delete": 0, "unchanged": 0, "complete": true, "providers": 3, "failed_providers": []])
        let changes = try #require(json["resource_changes"]?.arrayValue)
        #expect(changes.compactMap { $0["address"]?.stringValue } == ["reporter-prod/orders-reporting", "wiremock-prod/orders", "wix-site/MyExternalDatabase"])
        let reporter = changes[0]
        #expect(reporter["actions"] == ["update"])
        #expect(reporter["method"] == "PATCH")
        #expect(reporter["provider_type"] == "lerian-reporter")
        #expect(reporter["remote_id"] == "a1b2")
        #expect(reporter[path: "after.password"] == "(sensitive)")
        #expect(reporter["changed_paths"] == ["host", "port", "password"])
        #expect(reporter["sensitive_paths"] == ["password"])
        let wix = changes[2]
        #expect(wix["actions"] == ["update"])
        #expect(wix["method"] == "PUT")
        #expect(wix[path: "before.configuration.secretKey"] == "(sensitive)")
        #expect(wix[path: "after.configuration.secretKey"] == "(sensitive)")
        #expect(wix[path: "request.body.externalDatabaseConnection.configuration.secretKey"] == "(sensitive)")
        #expect(changes[1]["actions"] == ["create"])
    }

    @Test func markdownPlanMatchesTheGoldenFile() throws {
        let markdown = PlanMarkdownView().render(fixturePlan())
        #expect(markdown == (try golden("plan.md", actual: markdown)))
        #expect(leaked(markdown).isEmpty)
    }

    @Test func markdownIsTruncatedWithANoteBelowTheLimit() throws {
        let markdown = PlanMarkdownView(limit: 1_200).render(fixturePlan())
        #expect(markdown == (try golden("plan-truncated.md", actual: markdown)))
        #expect(markdown.count <= 1_200)
        #expect(markdown.contains("The plan is too long for one comment"))
    }

    /// 3,000 updates of one host each over 7 providers.
    static func hugePlan() -> Plan {
        var changes: [Change] = []
        for index in 0..<3_000 {
            changes.append(
                Change(
                    address: Address(provider: "p\(index % 7)", name: "connection-\(index)"), vendor: .wiremockCloud, action: .update,
                    request: RequestSpec(method: "PATCH", path: "/x"),
                    diffs: [FieldDiff(path: "host", before: .string("old-host-\(index).example.com"), after: .string("new-host-\(index).example.com"))]))
        }
        return Plan(source: SourceInfo(kind: .directory, location: "/repo"), changes: changes, providerCount: 7, connectionCount: 3_000)
    }

    @Test func aLongTextPlanIsPrintedInPiecesThatMakeTheWholeText() throws {
        let plan = Self.hugePlan()
        let view = PlanTextView(style: .plain)
        var pieces: [String] = []
        view.render(plan, pieceBytes: 4_096) { pieces.append($0) }
        let whole = view.render(plan)
        #expect(pieces.joined() == whole)
        #expect(pieces.count >= whole.utf8.count / 5_000)
        let longestLine = try #require(whole.split(separator: "\n").map(\.utf8.count).max())
        #expect(pieces.allSatisfy { $0.utf8.count < 4_096 + longestLine + 1 })
        #expect(pieces.dropLast().allSatisfy { $0.hasSuffix("\n") && $0.utf8.count >= 4_096 })
        #expect(whole.hasPrefix("connsync plan · source /repo · 3000 connections · 7 providers\n\n  ~ p0/connection-0  update in place (PATCH)\n"))
        #expect(whole.hasSuffix("\n\nPlan: 0 to create, 3000 to update, 0 to delete, 0 unchanged.\n"))
    }

    @Test func aHugePlanStaysUnderGitHubsLimit() {
        let plan = Self.hugePlan()
        let markdown = PlanMarkdownView().render(plan)
        #expect(markdown.count < 65_536)
        #expect(markdown.contains("**Plan: 0 to create, 3000 to update, 0 to delete, 0 unchanged.**"))
        #expect(markdown.contains("are not shown"))
    }
}

func leaked(_ text: String) -> [String] {
    allSecrets.filter { text.contains($0) }
}
