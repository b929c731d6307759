/// The vendors the emulator serves. Adding one is a file (or folder) with a
/// ``VendorEmulation`` and one line here. Order matters only where two vendors
/// could claim a path: routing asks them in this order and the first one wins
/// (vendors served at fixed roots come before those served below any prefix).
enum EmulatedVendors {
    static let all: [any VendorEmulation.Type] = [
        WireMockCloud.self,
        LerianReporter.self,
        CredibleData.self,
        Datafor.self,
        WixData.self,
        Grafana.self,
        Metabase.self,
    ]

    /// Headers that carry credentials at some vendor: never logged.
    static let credentialHeaders: Set<String> = all.reduce(into: ["authorization", "proxy-authorization"]) { $0.formUnion($1.credentialHeaders) }

    /// The vendor type names, in the order of ``all``.
    static let names: [String] = all.map { $0.name }

    static func named(_ name: String) -> (any VendorEmulation.Type)? {
        all.first { $0.name == name }
    }
}
