import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// The table of invalid documents: each case is loaded next to a valid base (Providers of
// every vendor and two Databases) from real files, and must give exactly these errors, with
// their codes and positions. Generated once from the loader's output, then reviewed line by line.

struct InvalidCase: CustomTestStringConvertible, Sendable {
    var name: String
    var document: String
    /// Rendered diagnostics (`file:line:col: Kind/name: field: message`) and codes, in order.
    var expected: [(String, String)]
    var resolveSecrets = false

    init(_ name: String, _ document: String, expected: [(String, String)], resolveSecrets: Bool = false) {
        self.name = name
        self.document = document
        self.expected = expected
        self.resolveSecrets = resolveSecrets
    }

    var testDescription: String { name }
}

/// Valid Providers for every vendor and two Databases, which each case may reference.
let validBase = "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: wm}\nspec:\n  type: wiremock-cloud\n  userId: u1\n  auth: {token: {fromEnv: WM_TOKEN}}\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: rep}\nspec:\n  type: lerian-reporter\n  baseURL: https://reporter.example\n  productName: reporting\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: cd}\nspec:\n  type: credible-data\n  baseURL: https://acme.data.credibledata.com\n  project: analytics\n  auth: {token: {fromEnv: CD_TOKEN}}\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: df}\nspec:\n  type: datafor\n  baseURL: https://bi.example/datafor\n  auth: {username: admin, password: {fromEnv: DF_PASSWORD}}\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: wix}\nspec:\n  type: wix-data\n  auth: {token: {fromEnv: WIX_TOKEN}}\n---\napiVersion: connsync/v1\nkind: Database\nmetadata: {name: orders}\nspec:\n  engine: postgresql\n  host: orders.db.internal\n  port: 5432\n  database: orders\n  username: app\n  password: {fromEnv: ORDERS_PASSWORD}\n---\napiVersion: connsync/v1\nkind: Database\nmetadata: {name: mongo}\nspec:\n  engine: mongodb\n  host: mongo.internal\n  port: 27017\n  database: events\n  username: app\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: gf}\nspec:\n  type: grafana\n  baseURL: https://grafana.example/sub\n  auth: {token: {fromEnv: GF_TOKEN}}\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: mb}\nspec:\n  type: metabase\n  baseURL: https://metabase.example\n  auth: {token: {fromEnv: MB_TOKEN}}\n"

/// Environment for the cases that resolve secrets: everything the base needs, nothing else.
let baseEnvironment = ["GF_TOKEN": "t", "MB_TOKEN": "t", "WM_TOKEN": "t", "CD_TOKEN": "t", "DF_PASSWORD": "t", "WIX_TOKEN": "t", "ORDERS_PASSWORD": "t"]

/// Loads `files` from a fresh folder; diagnostics rendered with the folder prefix removed.
func loadFiles(
    _ files: [String: String], resolveSecrets: Bool = false, environment: [String: String] = [:], allowPlaintext: Bool = false
) throws -> (LoadResult, [String]) {
    let directory = try TemporaryDirectory(prefix: "connsync-config")
    defer { directory.remove() }
    for (path, contents) in files { try directory.write(contents, to: path) }
    let loader = DesiredStateLoader(
        options: LoadOptions(resolveSecrets: resolveSecrets, allowPlaintextSecrets: allowPlaintext),
        resolver: StandardSecretResolver(environment: environment), vendors: VendorRegistry.standard.catalog)
    let result = loader.load(from: DirectorySource(directory: directory.path))
    let rendered = result.diagnostics.map { $0.description.replacingOccurrences(of: directory.path + "/", with: "") }
    return (result, rendered)
}

@Suite("Invalid documents")
struct InvalidDocumentTests {
    static let cases: [InvalidCase] = [
        InvalidCase(
            "yamlSyntax",
            "apiVersion: connsync/v1\nkind: [Provider\n",
            expected: [("doc.yaml:3:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence", "yaml-syntax")]),
        InvalidCase(
            "documentIsAList",
            "- apiVersion: connsync/v1\n- kind: Provider\n",
            expected: [("doc.yaml:1:1: document/#1: a document must be a mapping with apiVersion, kind, metadata and spec (got a list)", "not-a-mapping")]),
        InvalidCase(
            "missingApiVersion",
            "kind: Database\nmetadata:\n  name: x\nspec: {}\n",
            expected: [("doc.yaml:1:1: Database/x: apiVersion: required field is missing; add apiVersion: connsync/v1", "missing-field")]),
        InvalidCase(
            "wrongApiVersion",
            "apiVersion: connsync/v2\nkind: Database\nmetadata:\n  name: x\nspec: {}\n",
            expected: [("doc.yaml:1:13: Database/x: apiVersion: must be connsync/v1 (got 'connsync/v2')", "api-version")]),
        InvalidCase(
            "missingKind",
            "apiVersion: connsync/v1\nmetadata:\n  name: x\nspec: {}\n",
            expected: [("doc.yaml:1:1: document/x: kind: required field is missing; add kind: Provider, Database or Connection", "missing-field")]),
        InvalidCase(
            "unknownKind",
            "apiVersion: connsync/v1\nkind: Secret\nmetadata:\n  name: x\nspec: {}\n",
            expected: [("doc.yaml:2:7: Secret/x: kind: must be one of Provider, Database, Connection (got 'Secret')", "kind")]),
        InvalidCase(
            "unknownTopLevelKey",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec: {}\nstatus: {}\n",
            expected: [("doc.yaml:6:1: Database/x: status: unknown key 'status'; a document has apiVersion, kind, metadata and spec", "unknown-key")]),
        InvalidCase(
            "missingMetadata",
            "apiVersion: connsync/v1\nkind: Database\nspec: {}\n",
            expected: [("doc.yaml:1:1: Database/<unnamed>: metadata: required field is missing; add metadata with a name", "missing-field")]),
        InvalidCase(
            "metadataNotAMapping",
            "apiVersion: connsync/v1\nkind: Database\nmetadata: orders\nspec: {}\n",
            expected: [("doc.yaml:3:11: Database/<unnamed>: metadata: must be a mapping (got a string)", "type")]),
        InvalidCase(
            "missingName",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  labels: {a: b}\nspec: {}\n",
            expected: [("doc.yaml:4:3: Database/<unnamed>: metadata.name: required field is missing; every document needs a name", "missing-field")]),
        InvalidCase(
            "nameStartsWithDash",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: -orders\nspec: {}\n",
            expected: [("doc.yaml:4:9: Database/-orders: metadata.name: '-orders' is not a valid name: use letters, digits, '_', '.', '-', starting with a letter or digit, at most 100 characters", "invalid-name")]),
        InvalidCase(
            "nameTooLong",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nspec: {}\n",
            expected: [("doc.yaml:4:9: Database/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: metadata.name: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not a valid name: use letters, digits, '_', '.', '-', starting with a letter or digit, at most 100 characters", "invalid-name")]),
        InvalidCase(
            "nameWithSpace",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: my db\nspec: {}\n",
            expected: [("doc.yaml:4:9: Database/my db: metadata.name: 'my db' is not a valid name: use letters, digits, '_', '.', '-', starting with a letter or digit, at most 100 characters", "invalid-name")]),
        InvalidCase(
            "nameNotAString",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: 123\nspec: {}\n",
            expected: [("doc.yaml:4:9: Database/<unnamed>: metadata.name: must be a string (got an integer)", "type")]),
        InvalidCase(
            "unknownMetadataKey",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\n  annotations: {a: b}\nspec: {}\n",
            expected: [("doc.yaml:5:3: Database/x: metadata.annotations: unknown key 'annotations'; metadata has name and labels", "unknown-key")]),
        InvalidCase(
            "labelNotAString",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\n  labels:\n    tier: 1\nspec: {}\n",
            expected: [("doc.yaml:6:11: Database/x: metadata.labels.tier: must be a string (got an integer); quote it", "type")]),
        InvalidCase(
            "missingSpec",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\n",
            expected: [("doc.yaml:1:1: Database/x: spec: required field is missing", "missing-field")]),
        InvalidCase(
            "specNotAMapping",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec: [a]\n",
            expected: [("doc.yaml:5:7: Database/x: spec: must be a mapping (got a list)", "type")]),
        InvalidCase(
            "providerMissingType",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  baseURL: https://x.example\n",
            expected: [("doc.yaml:6:3: Provider/p: spec.type: required field is missing; set it to one of wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data, grafana, metabase", "missing-field")]),
        InvalidCase(
            "providerUnknownType",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: aws-rds\n",
            expected: [("doc.yaml:6:9: Provider/p: spec.type: must be one of wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data, grafana, metabase (got 'aws-rds')", "invalid-value")]),
        InvalidCase(
            "providerUnknownKey",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  region: eu\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:7:3: Provider/p: spec.region: unknown key 'region'; a Provider spec has type, baseURL, auth, userId, productName, tenantId, project, concurrency, rateLimit and prune", "unknown-key")]),
        InvalidCase(
            "providerBadBaseURL",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: datafor\n  baseURL: ftp://bi.example\n  auth: {username: a, password: {fromEnv: P}}\n",
            expected: [("doc.yaml:7:12: Provider/p: spec.baseURL: must be an absolute http(s) URL such as https://api.example.com (got 'ftp://bi.example')", "invalid-url")]),
        InvalidCase(
            "providerMissingBaseURL",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: lerian-reporter\n  productName: reporting\n",
            expected: [("doc.yaml:6:3: Provider/p: spec.baseURL: required field is missing: lerian-reporter has no default base URL; set the URL of your lerian-reporter API", "missing-field")]),
        InvalidCase(
            "wiremockMissingUserId",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wiremock-cloud\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:6:3: Provider/p: spec.userId: required field is missing: wiremock-cloud lists and creates connections under a user id", "missing-field")]),
        InvalidCase(
            "credibleMissingProject",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: credible-data\n  baseURL: https://x.example\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:6:3: Provider/p: spec.project: required field is missing: credible-data connections live in a project", "missing-field")]),
        InvalidCase(
            "credibleBadProject",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: credible-data\n  baseURL: https://x.example\n  project: my project\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:8:12: Provider/p: spec.project: must match ^[a-zA-Z0-9_-]+$ (got 'my project')", "invalid-value")]),
        InvalidCase(
            "userIdOnDatafor",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: datafor\n  baseURL: https://x.example\n  userId: u1\n  auth: {username: a, password: {fromEnv: P}}\n",
            expected: [("doc.yaml:8:3: Provider/p: spec.userId: userId is not used by datafor (only by wiremock-cloud); remove it", "unsupported-setting")]),
        InvalidCase(
            "badProductName",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: lerian-reporter\n  baseURL: https://x.example\n  productName: bad name!\n",
            expected: [("doc.yaml:8:16: Provider/p: spec.productName: must match ^[a-zA-Z0-9_-]+$ and be at most 100 characters (got 'bad name!')", "invalid-value")]),
        InvalidCase(
            "concurrencyZero",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  concurrency: 0\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:7:16: Provider/p: spec.concurrency: must be an integer from 1 to 256 (got 0)", "invalid-value")]),
        InvalidCase(
            "concurrencyString",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  concurrency: \"8\"\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:7:16: Provider/p: spec.concurrency: must be an integer from 1 to 256 (got '8')", "invalid-value")]),
        InvalidCase(
            "badRateLimit",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  rateLimit: 200/h\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:7:14: Provider/p: spec.rateLimit: must be N/s or N/m with N ≥ 1, e.g. 200/m (got '200/h')", "invalid-value")]),
        InvalidCase(
            "pruneNotABoolean",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  prune: always\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:7:10: Provider/p: spec.prune: must be true or false (got 'always')", "type")]),
        InvalidCase(
            "unknownAuthKey",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  auth:\n    apiKey: {fromEnv: T}\n",
            expected: [("doc.yaml:8:5: Provider/p: spec.auth.apiKey: unknown key 'apiKey'; auth has token, username and password", "unknown-key"), ("doc.yaml:8:5: Provider/p: spec.auth.token: required field is missing: wix-data needs auth.token, e.g. token: {fromEnv: P_TOKEN}", "missing-field")]),
        InvalidCase(
            "tokenOnDatafor",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: datafor\n  baseURL: https://x.example\n  auth:\n    token: {fromEnv: T}\n    username: a\n    password: {fromEnv: P}\n",
            expected: [("doc.yaml:9:5: Provider/p: spec.auth.token: datafor does not use auth.token; it uses auth.password and auth.username", "unsupported-setting")]),
        InvalidCase(
            "dataforMissingPassword",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: datafor\n  baseURL: https://x.example\n  auth:\n    username: admin\n",
            expected: [("doc.yaml:9:5: Provider/p: spec.auth.password: required field is missing: datafor needs auth.password, e.g. password: {fromEnv: P_PASSWORD}", "missing-field")]),
        InvalidCase(
            "plaintextToken",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  auth:\n    token: abc123\n",
            expected: [("doc.yaml:8:12: Provider/p: spec.auth.token: a secret must not be written in clear: use {fromEnv: NAME}, {fromFile: PATH} or {fromCommand: [ARGV...]} (or pass --allow-plaintext-secrets)", "plaintext-secret")]),
        InvalidCase(
            "unknownReferenceKind",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  auth:\n    token: {fromVault: wix/token}\n",
            expected: [("doc.yaml:8:12: Provider/p: spec.auth.token: a secret reference is {fromEnv: NAME}, {fromFile: PATH} or {fromCommand: [ARGV...]} (got a mapping with fromVault)", "secret-reference")]),
        InvalidCase(
            "badEnvName",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  auth:\n    token: {fromEnv: 1TOKEN}\n",
            expected: [("doc.yaml:8:22: Provider/p: spec.auth.token.fromEnv: '1TOKEN' is not an environment variable name: use letters, digits and '_', not starting with a digit", "secret-reference")]),
        InvalidCase(
            "emptyFromFile",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: p\nspec:\n  type: wix-data\n  auth:\n    token: {fromFile: \"\"}\n",
            expected: [("doc.yaml:8:23: Provider/p: spec.auth.token.fromFile: must be a non-empty string (got '')", "secret-reference")]),
        InvalidCase(
            "databaseUnknownKey",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  hostname: db.internal\n",
            expected: [("doc.yaml:6:3: Database/x: spec.hostname: unknown key 'hostname'; a Database spec has engine, host, port, database, username, password, schema and ssl", "unknown-key")]),
        InvalidCase(
            "badEngine",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  engine: postgres\n",
            expected: [("doc.yaml:6:11: Database/x: spec.engine: must be one of postgresql, mysql, sqlserver, oracle, mongodb (got 'postgres')", "invalid-value")]),
        InvalidCase(
            "portZero",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  port: 0\n",
            expected: [("doc.yaml:6:9: Database/x: spec.port: must be between 1 and 65535 (got 0)", "port-range")]),
        InvalidCase(
            "portTooLarge",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  port: 70000\n",
            expected: [("doc.yaml:6:9: Database/x: spec.port: must be between 1 and 65535 (got 70000)", "port-range")]),
        InvalidCase(
            "portAsString",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  port: \"5432\"\n",
            expected: [("doc.yaml:6:9: Database/x: spec.port: must be an integer from 1 to 65535 (got a string '5432')", "type")]),
        InvalidCase(
            "emptyHost",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  host: \"\"\n",
            expected: [("doc.yaml:6:9: Database/x: spec.host: must not be empty", "invalid-value")]),
        InvalidCase(
            "plaintextPassword",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  password: hunter2\n",
            expected: [("doc.yaml:6:13: Database/x: spec.password: a secret must not be written in clear: use {fromEnv: NAME}, {fromFile: PATH} or {fromCommand: [ARGV...]} (or pass --allow-plaintext-secrets)", "plaintext-secret")]),
        InvalidCase(
            "badSSLMode",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  ssl:\n    mode: strict\n",
            expected: [("doc.yaml:7:11: Database/x: spec.ssl.mode: must be one of disable, require, verify-ca, verify-full (got 'strict')", "invalid-value")]),
        InvalidCase(
            "unknownSSLKey",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  ssl:\n    mode: require\n    verify: true\n",
            expected: [("doc.yaml:8:5: Database/x: spec.ssl.verify: unknown key 'verify'; ssl has mode, ca, cert and key", "unknown-key")]),
        InvalidCase(
            "connectionMissingProvider",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  databaseRef: orders\n",
            expected: [("doc.yaml:6:3: Connection/c: spec.provider: required field is missing: name the Provider this connection belongs to", "missing-field")]),
        InvalidCase(
            "unknownProvider",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: nope\n  databaseRef: orders\n",
            expected: [("doc.yaml:6:13: Connection/c: spec.provider: no Provider named 'nope'; known: cd, df, gf, mb, rep, wix, wm", "unknown-provider")]),
        InvalidCase(
            "unknownDatabase",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  databaseRef: nope\n",
            expected: [("doc.yaml:7:16: Connection/c: spec.databaseRef: no Database named 'nope'; known: mongo, orders", "unknown-database")]),
        InvalidCase(
            "connectionUnknownKey",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  databaseRef: orders\n  hostname: x\n",
            expected: [("doc.yaml:8:3: Connection/c: spec.hostname: unknown key 'hostname'; a Connection spec has provider, databaseRef, options, engine, host, port, database, username, password, schema and ssl", "unknown-key")]),
        InvalidCase(
            "schemaAtDatafor",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: df\n  databaseRef: orders\n  schema: public\n",
            expected: [("doc.yaml:8:3: Connection/c: spec.schema: datafor cannot hold schema; remove it from this Connection", "unsupported-field")]),
        InvalidCase(
            "sslAtWiremock",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  databaseRef: orders\n  ssl:\n    mode: require\n",
            expected: [("doc.yaml:8:3: Connection/c: spec.ssl: wiremock-cloud cannot hold ssl; remove it from this Connection", "unsupported-field")]),
        InvalidCase(
            "sslOfAMysqlGrafanaDataSource",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: gf\n  databaseRef: orders\n  engine: mysql\n  ssl: {mode: require}\n",
            expected: [("doc.yaml:9:3: Connection/c: spec.ssl: grafana holds ssl.mode only for postgresql (jsonData.sslmode); for mysql set jsonData.tlsAuth and its keys under spec.options", "unsupported-field")]),
        InvalidCase(
            "certificatesOfAMetabaseDatabase",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: mb\n  databaseRef: orders\n  ssl: {mode: verify-full, ca: {fromFile: /run/secrets/ca.pem}}\n",
            expected: [("doc.yaml:8:3: Connection/c: spec.ssl: metabase takes ssl.mode only; give certificates under spec.options.details (ssl-root-cert-value, ssl-client-cert-value, ssl-key-value)", "unsupported-field")]),
        InvalidCase(
            "grafanaWithoutABaseURL",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: g2}\nspec:\n  type: grafana\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:5:3: Provider/g2: spec.baseURL: required field is missing: grafana has no default base URL; set the URL of your grafana API", "missing-field")]),
        InvalidCase(
            "mongodbAtWiremock",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  databaseRef: orders\n  engine: mongodb\n",
            expected: [("doc.yaml:8:3: Connection/c: spec.engine: wiremock-cloud does not support engine mongodb; supported: mysql, oracle, postgresql, sqlserver", "unsupported-engine")]),
        InvalidCase(
            "inheritedMongodbAtDatafor",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: df\n  databaseRef: mongo\n",
            expected: [("doc.yaml:7:16: Connection/c: spec.engine: datafor does not support engine mongodb (inherited from Database mongo); supported: mysql, oracle, postgresql, sqlserver", "unsupported-engine")]),
        InvalidCase(
            "wiremockMissingFields",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  host: db.internal\n",
            expected: [("doc.yaml:6:3: Connection/c: spec: wiremock-cloud needs engine, port, database, username: set them on the Connection or on the Database it references", "missing-field")]),
        InvalidCase(
            "hostAtWix",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wix\n  host: db.internal\n  options:\n    endpoint: https://adapter.example\n",
            expected: [("doc.yaml:7:3: Connection/c: spec.host: wix-data cannot hold host; remove it from this Connection (wix-data connections are described by spec.options: endpoint and configuration)", "unsupported-field")]),
        InvalidCase(
            "wixMissingEndpoint",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wix\n  options:\n    configuration: {}\n",
            expected: [("doc.yaml:6:3: Connection/c: spec.options.endpoint: wix-data needs spec.options.endpoint (the URL of your external database adapter) and usually spec.options.configuration", "missing-field")]),
        InvalidCase(
            "credibleNameWithDot",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: orders.v2\nspec:\n  provider: cd\n  databaseRef: orders\n",
            expected: [("doc.yaml:4:9: Connection/orders.v2: metadata.name: credible-data connection names may only hold letters, digits, '_' and '-'", "vendor-name")]),
        InvalidCase(
            "credibleReservedName",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: duckdb\nspec:\n  provider: cd\n  databaseRef: orders\n",
            expected: [("doc.yaml:4:9: Connection/duckdb: metadata.name: 'duckdb' is a reserved connection name at credible-data; choose another", "vendor-name")]),
        InvalidCase(
            "lerianNameTooShort",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: ab\nspec:\n  provider: rep\n  databaseRef: orders\n",
            expected: [("doc.yaml:4:9: Connection/ab: metadata.name: lerian-reporter connection names (configName) need at least 3 characters", "vendor-name")]),
        InvalidCase(
            "optionsNotAMapping",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wix\n  options: [endpoint]\n",
            expected: [("doc.yaml:7:12: Connection/c: spec.options: must be a mapping in the vendor's own shape (got a list)", "type")]),
        InvalidCase(
            "badReferenceInOptions",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wix\n  options:\n    endpoint: https://adapter.example\n    configuration:\n      secretKey: {fromEnv: bad-name}\n",
            expected: [("doc.yaml:10:28: Connection/c: spec.options.configuration.secretKey.fromEnv: 'bad-name' is not an environment variable name: use letters, digits and '_', not starting with a digit", "secret-reference")]),
        InvalidCase(
            "duplicateProvider",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata:\n  name: wm\nspec:\n  type: wix-data\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:4:9: Provider/wm: metadata.name: a Provider named 'wm' is already defined at base.yaml:3:18; names are unique per kind", "duplicate-name")]),
        InvalidCase(
            "duplicateConnection",
            "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  databaseRef: orders\n---\napiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  provider: wm\n  databaseRef: orders\n  port: 6432\n",
            expected: [("doc.yaml:12:9: Connection/c: metadata.name: a Connection named 'c' of Provider wm is already defined at doc.yaml:4:9; names are unique per provider", "duplicate-name")]),
        InvalidCase(
            "duplicateKey",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  host: a.internal\n  host: b.internal\n",
            expected: [("doc.yaml:7:3: duplicate key 'host' in one mapping; keep one", "duplicate-key")]),
        // Trust (cli.md v1.1): anchors refused where they are, names fully anchored, no control characters in headers.
        InvalidCase(
            "yamlAnchorAndAlias",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: &n x\nspec:\n  host: *n\n",
            expected: [("doc.yaml:4:9: YAML anchors (&n) and aliases are not part of the connsync format; write the value out where it is used", "yaml-anchor")]),
        InvalidCase(
            "yamlAnchoredMapping",
            "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec: &spec\n  host: a\n",
            expected: [("doc.yaml:4:7: YAML anchors (&spec) and aliases are not part of the connsync format; write the value out where it is used", "yaml-anchor")]),
        InvalidCase(
            "nameWithTrailingNewline",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: \"orders\\n\"\nspec:\n  host: a\n",
            expected: [("doc.yaml:4:9: Database/orders\\n: metadata.name: 'orders\\n' is not a valid name: use letters, digits, '_', '.', '-', starting with a letter or digit, at most 100 characters", "invalid-name")]),
        InvalidCase(
            "envNameWithNewline",
            "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec:\n  password: {fromEnv: \"ORDERS\\n\"}\n",
            expected: [("doc.yaml:5:23: Database/x: spec.password.fromEnv: 'ORDERS\\n' is not an environment variable name: use letters, digits and '_', not starting with a digit", "secret-reference")]),
        InvalidCase(
            "productNameWithNewline",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: rep2}\nspec:\n  type: lerian-reporter\n  baseURL: https://r.example\n  productName: \"reporting\\n\"\n",
            expected: [("doc.yaml:7:16: Provider/rep2: spec.productName: must match ^[a-zA-Z0-9_-]+$ and be at most 100 characters (got 'reporting\\n')", "invalid-value")]),
        InvalidCase(
            "tenantIdInjectingAHeader",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: rep2}\nspec:\n  type: lerian-reporter\n  baseURL: https://r.example\n  productName: reporting\n  tenantId: \"acme\\r\\nX-Evil: 1\"\n",
            expected: [("doc.yaml:8:13: Provider/rep2: spec.tenantId: must be one line of text without control characters (it is sent as a header)", "invalid-value")]),
        InvalidCase(
            "baseURLWithCredentials",
            "apiVersion: connsync/v1\nkind: Provider\nmetadata: {name: p}\nspec:\n  type: wix-data\n  baseURL: https://admin:hunter2@wix.example\n  auth: {token: {fromEnv: T}}\n",
            expected: [("doc.yaml:6:12: Provider/p: spec.baseURL: must not hold credentials (user:password@): put them in spec.auth, which is sent as the vendor expects", "invalid-url")]),
        InvalidCase(
            "unsetEnvSecret",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  password: {fromEnv: NOT_SET_ANYWHERE}\n",
            expected: [("doc.yaml:6:13: Database/x: spec.password: environment variable NOT_SET_ANYWHERE is not set; set it, or check the name", "unresolved-secret")],
            resolveSecrets: true),
        InvalidCase(
            "missingSecretFile",
            "apiVersion: connsync/v1\nkind: Database\nmetadata:\n  name: x\nspec:\n  password: {fromFile: /nonexistent/connsync/secret}\n",
            expected: [("doc.yaml:6:13: Database/x: spec.password: secret file /nonexistent/connsync/secret lies outside the source and outside the secrets folders (/run/secrets); refused, nothing was read: keep it in the source, or name its folder with --secrets-dir", "unresolved-secret")],
            resolveSecrets: true),
    ]

    @Test(arguments: cases)
    func rejectedWithExactErrorAndPosition(_ invalid: InvalidCase) throws {
        let (result, rendered) = try loadFiles(
            ["base.yaml": validBase, "doc.yaml": invalid.document], resolveSecrets: invalid.resolveSecrets,
            environment: invalid.resolveSecrets ? baseEnvironment : [:])
        #expect(result.state == nil)
        #expect(rendered == invalid.expected.map(\.0))
        #expect(result.diagnostics.map(\.code) == invalid.expected.map(\.1))
    }

    @Test func theTableIsLargeAndEveryCaseNamesAPosition() {
        #expect(Self.cases.count >= 40)
        for invalid in Self.cases {
            #expect(!invalid.expected.isEmpty, "\(invalid.name) expects no error")
            for (text, _) in invalid.expected {
                #expect(text.range(of: #"^(doc|base)\.yaml:\d+:\d+: "#, options: .regularExpression) != nil, "\(text)")
            }
        }
    }

    @Test func theBaseAloneIsValid() throws {
        let (result, rendered) = try loadFiles(["base.yaml": validBase])
        #expect(rendered.isEmpty)
        #expect(result.state?.providers.count == 7)
        #expect(result.state?.databases.count == 2)
    }
}
