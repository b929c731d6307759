import ConnSyncModel

extension Metabase {
    /// The demo's drift from examples/ (an old host); outside the benchmark's spread, with
    /// Grafana.
    static let samples = VendorSamples(
        demoDrift: [
            [
                "name": "orders", "engine": "postgres", "is_on_demand": true,
                "details": [
                    "host": "orders-old.db.internal", "port": 5432, "dbname": "orders", "user": "app", "password": "an-old-password",
                    "ssl": true, "ssl-mode": "require",
                ],
            ]
        ],
        demoStory: "a Metabase database on an old host",
        demoSecrets: ["METABASE_API_KEY": "demo-metabase-api-key"],
        benchmarked: false,
        benchSeed: VendorSamples.seedByID(),
        benchGetPath: { id, _ in idPath(id) })
}
