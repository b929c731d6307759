import ConnSyncModel

extension VendorRegistry {
    /// Every vendor connsync speaks to, in the order messages list them. The one place that
    /// names them all: adding a vendor is its folder here, its emulator file, and one line.
    public static let standard = VendorRegistry([
        WireMockCloud.definition,
        LerianReporter.definition,
        CredibleData.definition,
        Datafor.definition,
        WixData.definition,
        Grafana.definition,
        Metabase.definition,
    ])
}
