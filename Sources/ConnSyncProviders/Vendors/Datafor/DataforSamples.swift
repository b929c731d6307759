import ConnSyncModel

extension Datafor {
    /// The demo's drift from examples/ (unmanaged pooling settings); served below `/datafor`.
    static let samples = VendorSamples(
        basePath: "/datafor",
        demoDrift: [
            [
                "name": "orders", "hostname": "10.0.4.12", "databasePort": "5432", "databaseName": "orders", "username": "app",
                "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"],
                "connectionPoolingProperties": ["initialSize": "2", "maxActive": "40", "maxIdle": "10", "minIdle": "2"],
                "extraOptions": ["POSTGRESQL.TimeZone": "Europe/Berlin"], "password": "an-old-password",
            ]
        ],
        demoStory: "unmanaged pooling settings",
        demoSecrets: ["DATAFOR_USERNAME": "demo-admin", "DATAFOR_PASSWORD": "demo-datafor-password"],
        benchRemoteExtras: [
            "connectionPoolingProperties": ["initialSize": "2", "maxActive": "40", "maxIdle": "10", "minIdle": "2", "maxWait": "30000"],
            "extraOptions": [
                "POSTGRESQL.TimeZone": "Europe/Berlin", "POSTGRESQL.ApplicationName": "datafor-bi", "POSTGRESQL.connectTimeout": "10",
                "POSTGRESQL.socketTimeout": "600", "POSTGRESQL.tcpKeepAlive": "true", "POSTGRESQL.defaultRowFetchSize": "1000",
            ],
            "extraOptionsOrder": ["POSTGRESQL.TimeZone": 0, "POSTGRESQL.ApplicationName": 1],
        ],
        benchSeed: VendorSamples.seedByID(),
        benchGetPath: { _, name in "\(apiPath)/get?name=\(MappingSupport.pathSegment(name))" })
}
