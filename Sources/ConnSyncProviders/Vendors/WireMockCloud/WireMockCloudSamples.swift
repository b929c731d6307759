import ConnSyncModel

extension WireMockCloud {
    /// The demo's drift from examples/ (an old host) and the benchmark's user.
    static let samples = VendorSamples(
        demoDrift: [
            [
                "userId": "acme-platform", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "orders-old.db.internal",
                "port": 5432, "databaseName": "orders", "username": "app", "password": "an-old-password",
            ]
        ],
        demoStory: "an old host",
        demoSecrets: ["WIREMOCK_TOKEN": "demo-wiremock-api-key"],
        benchSettings: ["userId": "bench"],
        benchSeed: VendorSamples.seedByID(["userId": "bench"]),
        benchGetPath: { id, _ in "/v1/database-connections/\(MappingSupport.pathSegment(id))" })
}
