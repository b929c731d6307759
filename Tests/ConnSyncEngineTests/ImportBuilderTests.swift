@testable import ConnSyncConfig
@testable import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation
import Testing

@Suite("Import builder")
struct ImportBuilderTests {
    let wix = ProviderConfig(name: "wix-site", type: .wixData)
    let wm = ProviderConfig(name: "wm", type: .wiremockCloud, settings: ["userId": "u"])

    @Test func returnedSecretsBecomeReadablePlaceholders() throws {
        let object = RemoteObject(
            id: nil, name: "MyExternalDatabase",
            raw: ["name": "MyExternalDatabase", "endpoint": "https://e", "configuration": ["secretKey": "real-value", "apiToken": "t0k"]])
        let result = ImportBuilder(vendors: .standard).build([(wix, [object])])
        #expect(result.variables.map(\.name) == ["WIX_SITE_MY_EXTERNAL_DATABASE_CONFIGURATION_API_TOKEN", "WIX_SITE_MY_EXTERNAL_DATABASE_CONFIGURATION_SECRET_KEY"])
        let text = result.stream
        #expect(!text.contains("real-value") && !text.contains("t0k"))
        #expect(text.contains("secretKey: {fromEnv: WIX_SITE_MY_EXTERNAL_DATABASE_CONFIGURATION_SECRET_KEY}"))
        // The documents load: placeholders are valid references.
        #expect(try YAMLDocuments.values(of: text).count == 1)
    }

    @Test func namesThatCannotBeWrittenAreSkippedWithAReason() {
        let objects = [
            RemoteObject(id: "1", name: "My database connection", raw: ["connectionName": "My database connection", "databaseType": "MYSQL"]),
            RemoteObject(id: "2", name: "twin", raw: ["connectionName": "twin"]), RemoteObject(id: "3", name: "twin", raw: ["connectionName": "twin"]),
        ]
        let result = ImportBuilder(vendors: .standard).build([(wm, objects)])
        #expect(result.documents.isEmpty)
        #expect(result.skipped.map(\.name) == ["My database connection", "twin"])
        #expect(result.skipped[0].reason.contains("rename it at the vendor"))
        #expect(result.skipped[1].reason.contains("never guesses"))
    }

    @Test func databaseNamesAvoidOnesInUse() {
        let raw: Value = ["connectionName": "a", "databaseType": "POSTGRESQL", "host": "h", "port": 1, "databaseName": "orders", "username": "u"]
        var second = raw
        second["connectionName"] = "b"
        let result = ImportBuilder(vendors: .standard).build(
            [(wm, [RemoteObject(id: "1", name: "a", raw: raw), RemoteObject(id: "2", name: "b", raw: second)])], reservedDatabaseNames: ["orders"])
        #expect(result.documents.map(\.path).contains("databases/orders-2.yaml"))
    }

    @Test(arguments: [(["wix-site", "MyDB", "configuration", "secretKey"], "WIX_SITE_MY_DB_CONFIGURATION_SECRET_KEY"), (["1st", "x"], "_1ST_X")])
    func variableNames(_ parts: [String], _ expected: String) {
        #expect(ImportBuilder.variableName(parts) == expected)
    }
}

@Suite("YAML writer")
struct YAMLWriterTests {
    @Test(arguments: [
        ("plain", "plain"), ("yes", "\"yes\""), ("null", "\"null\""), ("5432", "\"5432\""), ("https://x.example/a", "\"https://x.example/a\""),
        ("has space", "\"has space\""), ("", "\"\""), ("1.0", "\"1.0\""), ("a:b", "\"a:b\""), ("POSTGRESQL.TimeZone", "POSTGRESQL.TimeZone"),
    ])
    func stringsAreQuotedOnlyWhenNeeded(_ text: String, _ written: String) {
        #expect(YAMLWriter.string(text) == written)
    }

    @Test func documentsReadBackAsTheSameValues() throws {
        let value: Value = [
            "apiVersion": "connsync/v1", "kind": "Connection", "metadata": ["name": "x"],
            "spec": ["provider": "p", "port": 5432, "options": ["list": ["a", ["b": 1], []], "flag": true, "none": nil, "empty": [:], "text": "yes"]],
        ]
        let entries = value.objectValue!.keys.sorted().map { YAMLWriter.Entry($0, .from(value[$0]!)) }
        let text = YAMLWriter().document(entries, headerComments: ["a comment"])
        #expect(text.hasPrefix("# a comment\n"))
        #expect(try YAMLDocuments.values(of: text) == [value])
    }
}
