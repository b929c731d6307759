import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// A copy of the fixture tree in a fresh folder (plus dot-entries that must be skipped).
func fixtureTree() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory(prefix: "connsync-tree")
    let source = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/tree"))
    for case let file as URL in FileManager.default.enumerator(at: source, includingPropertiesForKeys: nil)! {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory)
        guard !isDirectory.boolValue else { continue }
        let relative = String(file.path.dropFirst(source.path.count + 1))
        try directory.write(try String(contentsOf: file, encoding: .utf8), to: relative)
    }
    try directory.write("this: is not valid connsync: [\n", to: ".hidden.yaml")
    try directory.write("kind: Nope\n", to: ".private/ignored.yaml")
    try directory.write("kind: Nope\n", to: "nested/.draft.yml")
    return directory
}

let treeEnvironment = ["WM_TOKEN": "wm-token-value", "ORDERS_PASSWORD": "0rders-Passw0rd!", "REPORTER_METADATA_KEY": "metadata-api-key"]

@Suite("Loader")
struct LoaderTests {
    func load(
        _ directory: TemporaryDirectory, resolve: Bool = true, environment: [String: String] = treeEnvironment, secretsDirectories: [String] = []
    ) -> LoadResult {
        DesiredStateLoader(
            options: LoadOptions(resolveSecrets: resolve),
            resolver: StandardSecretResolver(
                environment: environment, secretsDirectories: StandardSecretResolver.defaultSecretsDirectories + secretsDirectories)
        , vendors: VendorRegistry.standard.catalog).load(from: DirectorySource(directory: directory.path))
    }

    @Test func readsEveryYAMLFileRecursivelySkippingDotEntries() throws {
        let tree = try fixtureTree()
        defer { tree.remove() }
        let result = load(tree)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let state = try #require(result.state)
        #expect(state.providers.map(\.name) == ["rep", "wm"])
        #expect(state.databases.map(\.name) == ["orders"])
        #expect(state.connections.map(\.address.description) == ["rep/orders-reporting", "wm/orders"])
    }

    @Test func inheritanceOverridesPerFieldAndSkipsWhatTheVendorCannotHold() throws {
        let tree = try fixtureTree()
        defer { tree.remove() }
        let state = try #require(load(tree).state)
        let wiremock = try #require(state.connections.first { $0.address.provider == "wm" })
        #expect(wiremock.fields.host == "orders.db.internal")
        #expect(wiremock.fields.port == 6432)
        #expect(wiremock.fields.engine == .postgresql)
        #expect(wiremock.fields.schema == nil)
        #expect(wiremock.fields.ssl == nil)
        #expect(wiremock.skippedFields == [.schema, .ssl])
        #expect(wiremock.fields.password?.value?.revealed() == "0rders-Passw0rd!")
        #expect(wiremock.fields.password?.source == .environment("ORDERS_PASSWORD"))
        #expect(wiremock.options == ["databaseType": "POSTGRESQL"])

        let reporter = try #require(state.connections.first { $0.address.provider == "rep" })
        #expect(reporter.skippedFields.isEmpty)
        #expect(reporter.fields.schema == "public")
        // ssl merges field by field: the Connection's mode, the Database's CA.
        #expect(reporter.fields.ssl?.mode == .verifyFull)
        #expect(reporter.fields.ssl?.ca?.value?.revealed() == "CA-CERTIFICATE-TEXT")
        #expect(reporter.labels == ["environment": "production"])
        #expect(reporter.options[path: "metadata.owner"] == "data-team")
        guard case .secret(let key)? = reporter.options[path: "metadata.apiKey"] else {
            Issue.record("a reference in options must become a secret")
            return
        }
        #expect(key.value?.revealed() == "metadata-api-key")
    }

    @Test func providerSettingsAndDefaults() throws {
        let tree = try fixtureTree()
        defer { tree.remove() }
        let state = try #require(load(tree).state)
        let reporter = try #require(state.provider(named: "rep"))
        #expect(reporter.concurrency == 4)
        #expect(reporter.rateLimit == RateLimit(count: 10, per: .second))
        #expect(reporter.settings == ["productName": "reporting"])
        let wiremock = try #require(state.provider(named: "wm"))
        #expect(wiremock.concurrency == ProviderConfig.defaultConcurrency)
        #expect(VendorRegistry.standard.definition(for: .wiremockCloud)?.rules.baseURL(of: wiremock) == "https://api.wiremock.cloud")
        #expect(wiremock.auth.token?.value?.revealed() == "wm-token-value")
    }

    @Test func withoutResolutionReferencesAreCheckedForFormOnly() throws {
        let tree = try fixtureTree()
        defer { tree.remove() }
        let result = load(tree, resolve: false, environment: [:])
        let state = try #require(result.state)
        #expect(state.connections.allSatisfy { $0.fields.password?.value == nil })
    }

    @Test func everyErrorOfEveryFileIsReportedTogether() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("apiVersion: connsync/v1\nkind: [\n", to: "a-broken.yaml")
        try directory.write(
            "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec: {port: 0}\n---\napiVersion: connsync/v1\nkind: Database\nmetadata: {name: y}\nspec: {engine: db2}\n",
            to: "b-two-bad-docs.yaml")
        try directory.write(
            "apiVersion: connsync/v1\nkind: Connection\nmetadata: {name: c}\nspec: {provider: ghost}\n", to: "sub/c-unknown-provider.yaml")
        let result = load(directory)
        #expect(result.state == nil)
        let files = result.errors.compactMap { $0.location?.file.replacingOccurrences(of: directory.path + "/", with: "") }
        #expect(files == ["a-broken.yaml", "b-two-bad-docs.yaml", "b-two-bad-docs.yaml"])
        #expect(result.errors.map(\.code) == ["yaml-syntax", "port-range", "invalid-value"])
        // The unknown Provider may be defined in the file that does not parse: it is not
        // reported until it does (no cascade), and a warning says so, after the errors.
        #expect(result.diagnostics.last?.code == "references-unchecked")
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: z}\nspec: {port: 1}\n", to: "a-broken.yaml")
        #expect(load(directory).errors.map(\.code) == ["port-range", "invalid-value", "unknown-provider"])
    }

    /// A connection with an error of its own still has its references checked; a connection
    /// that refers to a Provider or Database with errors gets no second, misleading error.
    @Test func referencesAreCheckedForBrokenDocumentsWithoutCascades() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            """
            apiVersion: connsync/v1
            kind: Provider
            metadata: {name: wm}
            spec: {type: wiremock-cloud, userId: u, auth: {token: {fromEnv: WM_TOKEN}}, typo: 1}
            ---
            apiVersion: connsync/v1
            kind: Database
            metadata: {name: orders}
            spec: {port: 0}
            ---
            apiVersion: connsync/v1
            kind: Connection
            metadata: {name: uses-broken}
            spec: {provider: wm, databaseRef: orders}
            ---
            apiVersion: connsync/v1
            kind: Connection
            metadata: {name: two-mistakes}
            spec: {provider: ghost, port: 99999}

            """, to: "all.yaml")
        let result = load(directory)
        #expect(result.state == nil)
        #expect(result.errors.map(\.code) == ["unknown-key", "port-range", "unknown-provider", "port-range"])
        #expect(result.errors.map { $0.location?.line } == [4, 9, 19, 19])
        #expect(!result.errors.contains { $0.message.contains("no Provider named 'wm'") || $0.message.contains("no Database named") })
    }

    @Test func secretsFromAbsoluteAndRelativeFilesTrimOneTrailingNewline() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outside = try TemporaryDirectory()
        defer { outside.remove() }
        let absolute = try outside.write("from-absolute-file\r\n", to: "secret")
        try directory.write("from-relative-file\n", to: "secrets/db.txt")
        try directory.write(
            """
            apiVersion: connsync/v1
            kind: Database
            metadata: {name: a}
            spec:
              password: {fromFile: \(absolute.path)}
            ---
            apiVersion: connsync/v1
            kind: Database
            metadata: {name: b}
            spec:
              password: {fromFile: secrets/db.txt}
            """, to: "dbs.yaml")
        // The absolute path lies outside the source: readable only because its folder is a secrets folder.
        let state = try #require(load(directory, secretsDirectories: [outside.path]).state)
        #expect(state.databases.map { $0.fields.password?.value?.revealed() } == ["from-absolute-file", "from-relative-file"])
    }

    @Test func plaintextSecretsOnlyWithTheFlag() throws {
        let files = ["db.yaml": "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: a}\nspec:\n  password: literal-secret\n"]
        let (refused, rendered) = try loadFiles(files)
        #expect(refused.state == nil)
        #expect(rendered.first?.contains("a secret must not be written in clear") == true)
        #expect(rendered.allSatisfy { !$0.contains("literal-secret") })
        let (allowed, _) = try loadFiles(files, resolveSecrets: true, allowPlaintext: true)
        #expect(allowed.state?.databases.first?.fields.password?.value?.revealed() == "literal-secret")
        #expect(allowed.state?.databases.first?.fields.password?.source == .literal)
    }

    @Test func noSecretValueInDiagnosticsDescriptionsOrDumps() throws {
        let tree = try fixtureTree()
        defer { tree.remove() }
        let result = load(tree)
        var dumped = ""
        dump(result.state, to: &dumped)
        let texts = [String(describing: result.state), String(reflecting: result.state), dumped] + result.diagnostics.map(\.description)
        for text in texts {
            #expect(leakedSecrets(in: text, secrets: Array(treeEnvironment.values) + ["CA-CERTIFICATE-TEXT"]).isEmpty)
        }
        // A failed resolution names the reference, never a value.
        let failed = load(tree, environment: ["WM_TOKEN": "wm-token-value"])
        let messages = failed.diagnostics.map(\.description).joined(separator: "\n")
        #expect(messages.contains("environment variable ORDERS_PASSWORD is not set"))
        #expect(!messages.contains("wm-token-value"))
    }

    @Test func sourceErrorsForMissingDirectoryAndPlainFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("x", to: "file.yaml")
        let missing = DesiredStateLoader(options: LoadOptions(resolveSecrets: false), resolver: StandardSecretResolver(environment: [:]), vendors: VendorRegistry.standard.catalog)
            .load(from: DirectorySource(directory: directory.path + "/nope"))
        #expect(missing.errors.map(\.message) == ["\(directory.path)/nope: no such directory (check --dir)"])
        let notFolder = DesiredStateLoader(options: LoadOptions(resolveSecrets: false), resolver: StandardSecretResolver(environment: [:]), vendors: VendorRegistry.standard.catalog)
            .load(from: DirectorySource(directory: file.path))
        #expect(notFolder.errors.first?.message.contains("not a directory") == true)
    }
}
