import ConnSyncModel

extension LerianReporter {
    /// The demo's drift from examples/ (a wrong port, a stale label) and the benchmark's product.
    static let samples = VendorSamples(
        demoDrift: [
            [
                "tenantId": "acme", "configName": "orders-reporting", "productName": "reporting", "type": "POSTGRESQL",
                "host": "orders.db.internal", "port": 5433, "databaseName": "orders", "userName": "app", "schema": "public",
                "ssl": ["mode": "require"], "metadata": ["team": "data", "owner": "someone-who-left"], "password": "an-old-password",
            ],
            [
                "tenantId": "acme", "configName": "ledger-reporting", "productName": "reporting", "type": "MYSQL",
                "host": "ledger.db.internal", "port": 3306, "databaseName": "ledger", "userName": "reporter",
            ],
        ],
        demoStory: "a wrong port, a stale label",
        demoSecrets: ["REPORTER_TOKEN": "demo-reporter-jwt"],
        benchSettings: ["productName": "bench"],
        benchRemoteExtras: ["schema": "public", "ssl": ["mode": "require"]],
        benchSeed: VendorSamples.seedByID(),
        benchGetPath: { id, _ in "/v1/management/connections/\(MappingSupport.pathSegment(id))" })
}
