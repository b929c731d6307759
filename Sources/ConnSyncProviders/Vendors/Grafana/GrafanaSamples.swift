import ConnSyncModel

extension Grafana {
    /// The demo's drift from examples/ (an old host, an unmanaged pool setting that stays);
    /// outside the benchmark's spread: every update reads the object first, and the list caps
    /// at 5,000.
    static let samples = VendorSamples(
        demoDrift: [
            [
                "uid": "orders", "name": "orders", "type": "postgres", "access": "proxy", "url": "orders-old.db.internal:5432",
                "user": "app", "jsonData": ["database": "orders", "sslmode": "require", "maxOpenConns": 25],
                "secureJsonData": ["password": "an-old-password"],
            ]
        ],
        demoStory: "a Grafana data source on an old host",
        demoSecrets: ["GRAFANA_TOKEN": "demo-grafana-service-account-token"],
        benchmarked: false,
        benchSeed: VendorSamples.seedByName(),
        benchGetPath: { _, name in Grafana.namePath(name) })
}
