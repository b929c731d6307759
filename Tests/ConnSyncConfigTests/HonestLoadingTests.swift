import ConnSyncConfig
import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// What a newcomer meets first (issue: honest output): every error in one run, at the right
/// place, no cascades from a syntax error, and a hint where one helps.
@Suite("Loading: honest errors")
struct HonestLoadingTests {
    @Test func aMistypedKeyGetsADidYouMean() throws {
        let connection = "apiVersion: connsync/v1\nkind: Connection\nmetadata: {name: c}\nspec:\n  provider: wm\n  databseRef: orders\n"
        let (_, rendered) = try loadFiles(["base.yaml": validBase, "doc.yaml": connection])
        #expect(rendered.contains { $0.contains("unknown key 'databseRef'; did you mean `databaseRef`? a Connection spec has provider, databaseRef") })
        let provider = "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: p}\nspec:\n  type: wix-data\n  baseUrl: https://x.example\n  auth: {token: {fromEnv: T}}\n"
        let (_, again) = try loadFiles(["doc.yaml": provider])
        #expect(again.contains { $0.contains("did you mean `baseURL`?") })
    }

    @Test func aKubernetesManifestIsOneErrorPerFileSuggestingConnsyncignore() throws {
        let manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api}
            spec: {replicas: 2, template: {spec: {containers: [{name: api, image: x}]}}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: api}
            spec: {ports: [{port: 80}]}
            """
        let (result, rendered) = try loadFiles(["base.yaml": validBase, "deploy/api.yaml": manifest])
        #expect(result.errors.count == 1)
        let only = try #require(rendered.first)
        #expect(only.hasPrefix("deploy/api.yaml:1:1: not a connsync document (apiVersion apps/v1, kind Deployment) (this file holds 2 such documents)"))
        #expect(only.contains(".connsyncignore"))
    }

    @Test func aBrokenDatabaseDoesNotHideTheConnectionsOwnErrors() throws {
        let files = [
            "base.yaml": validBase,
            "db.yaml": "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: billing}\nspec: {engine: postgresql, port: 70000}\n",
            "conn.yaml": "apiVersion: connsync/v1\nkind: Connection\nmetadata: {name: c}\nspec:\n  provider: df\n  databaseRef: billing\n  schema: public\n",
        ]
        let (result, _) = try loadFiles(files)
        #expect(result.errors.map(\.code).sorted() == ["port-range", "unsupported-field"])
        #expect(!result.errors.contains { $0.message.contains("no Database named") || $0.message.contains("needs") })
    }

    @Test func aSyntaxErrorComesFirstAndNamesItMayDefineAreNotReportedMissing() throws {
        let files = [
            "a.yaml": "apiVersion: connsync/v1\nkind: Connection\nmetadata: {name: c}\nspec: {provider: wm, databaseRef: billing}\n",
            "db.yaml": "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: billing\n spec: {}\n",
            "wm.yaml": "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: wm}\nspec: {type: wix-data, auth: {token: {fromEnv: T}}}\n",
        ]
        let (result, rendered) = try loadFiles(files)
        #expect(result.errors.map(\.code) == ["yaml-syntax"])
        #expect(rendered.first?.hasPrefix("db.yaml:5:") == true)
        #expect(rendered.first?.contains("check the indentation") == true || rendered.first?.contains("indented") == true, "\(rendered)")
        #expect(!rendered.contains { $0.contains("no Database named 'billing'") })
    }

    @Test(arguments: [
        ("apiVersion: connsync/v1\nkind: Database\nmetadata:\n\tname: x\n", "tabs"),
        ("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec:\n  host: a: b\n", "must be quoted"),
    ])
    func commonYAMLMistakesGetAHint(_ text: String, _ hint: String) throws {
        let (_, rendered) = try loadFiles(["doc.yaml": text])
        #expect(rendered.first?.contains(hint) == true, "\(rendered)")
    }

    @Test func aLerianProviderWithoutProductNameValidatesWithAWarning() throws {
        let provider = "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: rep}\nspec: {type: lerian-reporter, baseURL: https://r.example}\n"
        let (result, _) = try loadFiles(["doc.yaml": provider])
        #expect(result.state != nil)
        #expect(result.warnings.map(\.message) == [
            "needed to create connections (sent as X-Product-Name): without it, plan and apply can update and delete but not create"
        ])
    }
}
