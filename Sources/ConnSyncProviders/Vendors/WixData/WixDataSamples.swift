import ConnSyncModel

extension WixData {
    /// The demo's drift from examples/ (an extra collection); benchmark connections are
    /// described by their options alone.
    static let samples = VendorSamples(
        demoDrift: [
            [
                "name": "OrdersAdapter", "endpoint": "https://orders-adapter.acme.example/wix",
                "configuration": [
                    "secretKey": "2b723306-4d74-42a2-8438-2ff40da3e6b6", "environment": "PRODUCTION",
                    "collections": ["orders", "customers", "legacy_orders"], "tenantId": "acme-old-site",
                ],
            ]
        ],
        demoStory: "an extra wix collection",
        demoSecrets: ["WIX_TOKEN": "demo-wix-token", "WIX_SECRET_KEY": "2b723306-4d74-42a2-8438-2ff40da3e6b6"],
        benchOptions: { n, host in
            [
                "endpoint": .string("https://\(host)/adapter/\(n)"),
                "configuration": [
                    "collections": ["orders", "customers", "invoices", "products", "refunds"], "environment": "PRODUCTION",
                    "region": "eu-west-1",
                ],
            ]
        },
        benchSeed: VendorSamples.seedByName(),
        benchGetPath: { _, name in "\(basePath)/\(MappingSupport.pathSegment(name))" })
}
