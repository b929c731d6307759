import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// Remote connections already at each vendor, as the tests seed them.
enum ExistingConnections {
    static let wiremock: Value = [
        "wiremock-cloud": [
            [
                "userId": "u1", "connectionName": "billing", "databaseType": "MYSQL", "host": "billing.db.internal", "port": 3306,
                "databaseName": "billing", "username": "billing_ro", "password": "remote-only-password",
            ]
        ]
    ]
    static let lerian: Value = [
        "lerian-reporter": [
            [
                "configName": "ledger-reporting", "productName": "reporting", "type": "POSTGRESQL", "host": "ledger.db.internal", "port": 5432,
                "databaseName": "ledger", "userName": "reporter", "schema": "finance", "ssl": ["mode": "verify-full", "ca": "CA-PEM"],
                "metadata": ["team": "finance", "tier": "gold"], "password": "remote-only-password",
            ]
        ]
    ]
    static let credible: Value = [
        "credible-data": [
            [
                "project": "analytics", "name": "events", "type": "mysql",
                "mysqlConnection": ["host": "events.db.internal", "port": 3306, "database": "events", "user": "analyst", "password": "remote-only-password"],
            ],
            ["project": "analytics", "name": "warehouse", "type": "bigquery", "bigqueryConnection": ["defaultProjectId": "acme-dw", "location": "EU"]],
        ]
    ]
    static let datafor: Value = [
        "datafor": [
            [
                "name": "sales", "hostname": "sales.db.internal", "databasePort": "1433", "databaseName": "sales", "username": "bi",
                "databaseType": ["shortName": "MSSQL", "name": "MS SQL Server"], "attributes": ["driverId": "mssql", "PORT_NUMBER": "1433"],
                "connectionPoolingProperties": ["initialSize": "1", "maxActive": "12", "maxIdle": "4", "minIdle": "1"],
                "extraOptions": ["MSSQL.encrypt": "true"], "password": "remote-only-password",
            ]
        ]
    ]
    static let grafana: Value = [
        "grafana": [
            [
                "uid": "metrics-pg", "name": "metrics", "type": "postgres", "access": "proxy", "url": "metrics.db.internal:5432",
                "user": "grafana_ro", "basicAuth": false, "isDefault": true,
                "jsonData": ["database": "metrics", "sslmode": "verify-full", "maxOpenConns": 50, "timescaledb": true],
                "secureJsonData": ["password": "remote-only-password"],
            ],
            [
                "uid": "ops-mysql", "name": "ops", "type": "mysql", "access": "proxy", "url": "ops.db.internal:3306", "user": "ops",
                "jsonData": ["database": "ops", "tlsAuth": false],
            ],
        ]
    ]
    static let metabase: Value = [
        "metabase": [
            [
                "name": "Warehouse", "engine": "postgres", "is_on_demand": true, "auto_run_queries": false,
                "details": [
                    "host": "dw.db.internal", "port": 5432, "dbname": "dw", "user": "metabase_ro", "password": "remote-only-password",
                    "ssl": true, "ssl-mode": "require", "additional-options": "prepareThreshold=0",
                ],
            ]
        ]
    ]
    static let wix: Value = [
        "wix-data": [
            [
                "name": "ShopAdapter", "endpoint": "https://shop-adapter.example/wix",
                "configuration": ["secretKey": "wix-returned-secret-9d", "collections": ["products", "orders"], "environment": "PRODUCTION"],
            ]
        ]
    ]
}

@Suite("Import")
struct ImportTests {
    /// Imports `provider` into `config/imported`, returning the run and the files by path.
    func importInto(_ workspace: Workspace, provider: String, folder: String = "imported", extra: [String] = []) async throws
        -> (ProcessResult, [String: String])
    {
        let out = workspace.configDirectory + "/" + folder
        let result = try await workspace.run(["import", "--provider", provider, "--dir", workspace.configDirectory, "--out", out] + extra)
        var files: [String: String] = [:]
        if let enumerator = FileManager.default.enumerator(atPath: out) {
            for case let path as String in enumerator where path.hasSuffix(".yaml") {
                files[path] = try String(contentsOfFile: out + "/" + path, encoding: .utf8)
            }
        }
        return (result, files)
    }

    func providersOnly(_ workspace: Workspace) throws {
        try? FileManager.default.removeItem(atPath: workspace.configDirectory)
        try workspace.directory.write(workspace.providersYAML, to: "config/providers.yaml")
    }

    @Test(arguments: [
        ("wm", ExistingConnections.wiremock), ("rep", ExistingConnections.lerian), ("cd", ExistingConnections.credible),
        ("df", ExistingConnections.datafor), ("wix", ExistingConnections.wix), ("gf", ExistingConnections.grafana),
        ("mb", ExistingConnections.metabase),
    ])
    func importThenPlanShowsNoChangesAndReImportIsIdentical(_ provider: String, _ existing: Value) async throws {
        try await Workspace.with { workspace in
            try await workspace.seed(existing)
            try providersOnly(workspace)
            let (first, files) = try await importInto(workspace, provider: provider)
            #expect(first.status == 0, "\(first)")
            #expect(!files.isEmpty)
            for (path, text) in files {
                #expect(leakedSecrets(in: text, secrets: ["remote-only-password", "wix-returned-secret-9d", "CA-PEM"]).isEmpty, "\(path)")
            }
            #expect(!first.stdout.contains("wix-returned-secret-9d") && !first.stderr.contains("wix-returned-secret-9d"))
            // The variables named on stderr get the values the vendor holds.
            if provider == "wix" {
                let variable = "WIX_SHOP_ADAPTER_CONFIGURATION_SECRET_KEY"
                #expect(first.stderr.contains("  \(variable)    for wix/ShopAdapter spec.options.configuration.secretKey"))
                workspace.environment[variable] = "wix-returned-secret-9d"
            }
            try await workspace.clearRequests()
            let plan = try await workspace.plan(["--detailed-exitcode"])
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("No changes."))
            #expect(try await workspace.writes().isEmpty)
            // Importing again into the same folder rewrites the same bytes: no git diff.
            let (again, secondFiles) = try await importInto(workspace, provider: provider)
            #expect(again.status == 0)
            #expect(secondFiles == files)
            #expect(!again.stderr.contains("already in the desired state"))
        }
    }

    @Test func importedFilesLookAsAPersonWouldWriteThem() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed(ExistingConnections.lerian)
            try providersOnly(workspace)
            let (result, files) = try await importInto(workspace, provider: "rep")
            #expect(result.status == 0)
            #expect(
                files["connections/rep/ledger-reporting.yaml"] == """
                    # Imported by connsync from rep (lerian-reporter).
                    # password is write-only at lerian-reporter: connsync leaves it alone until you declare it, e.g.
                    #   password: {fromEnv: REP_LEDGER_REPORTING_PASSWORD}
                    # ssl.ca is write-only at lerian-reporter: connsync leaves it alone until you declare it, e.g.
                    #   ssl: {ca: {fromEnv: REP_LEDGER_REPORTING_SSL_CA}}
                    apiVersion: connsync/v1
                    kind: Connection
                    metadata:
                      name: ledger-reporting
                      labels:
                        team: finance
                        tier: gold
                    spec:
                      provider: rep
                      engine: postgresql
                      host: ledger.db.internal
                      port: 5432
                      database: ledger
                      username: reporter
                      schema: finance
                      ssl:
                        mode: verify-full

                    """)
        }
    }

    @Test func connectionsWithTheSameCoordinatesShareOneDatabase() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed([
                "wiremock-cloud": [
                    ["userId": "u1", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "orders.db.internal", "port": 5432, "databaseName": "orders", "username": "app"]
                ],
                "datafor": [
                    [
                        "name": "orders", "hostname": "orders.db.internal", "databasePort": "5432", "databaseName": "orders", "username": "app",
                        "databaseType": ["shortName": "POSTGRESQL"], "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"],
                    ]
                ],
            ])
            try providersOnly(workspace)
            let out = workspace.configDirectory + "/imported"
            let result = try await workspace.run(["import", "--provider", "wm", "--provider", "df", "--dir", workspace.configDirectory, "--out", out])
            #expect(result.status == 0, "\(result)")
            let database = try String(contentsOfFile: out + "/databases/orders.yaml", encoding: .utf8)
            #expect(database.contains("kind: Database\nmetadata:\n  name: orders\n"))
            #expect(database.contains("# Imported by connsync: shared by df/orders, wm/orders"))
            let connection = try String(contentsOfFile: out + "/connections/wm/orders.yaml", encoding: .utf8)
            #expect(connection.contains("  databaseRef: orders\n"))
            #expect(!connection.contains("host:"))
            #expect(try await workspace.plan(["--detailed-exitcode"]).status == 0)
        }
    }

    @Test func nameFilterAndStdout() async throws {
        try await Workspace.with { workspace in
            try await workspace.seed(ExistingConnections.credible)
            try providersOnly(workspace)
            let result = try await workspace.run(["import", "--provider", "cd", "--dir", workspace.configDirectory, "--name-filter", "ware*"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("name: warehouse"))
            #expect(!result.stdout.contains("name: events"))
            #expect(result.stdout.contains("    type: bigquery"))
            let unknown = try await workspace.run(["import", "--provider", "nope", "--dir", workspace.configDirectory])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("no Provider named 'nope'"))
        }
    }
}
