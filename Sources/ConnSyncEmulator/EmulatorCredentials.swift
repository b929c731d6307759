/// Credentials the emulator accepts, per vendor type, keyed as in a Provider's
/// `spec.auth` (`token`, `username`, `password`): e.g. `["datafor": ["username": "u",
/// "password": "p"], "wiremock-cloud": ["token": "t"]]`. A vendor with none
/// configured accepts any well-formed header of its scheme (lerian-reporter: no
/// auth at all); with them, anything else is a 401 in that vendor's envelope.
public struct EmulatorCredentials: Sendable, Hashable {
    public var byVendor: [String: [String: String]]

    public init(byVendor: [String: [String: String]]) {
        self.byVendor = byVendor
    }

    /// The credentials of one vendor type (empty when none are configured).
    public subscript(vendor: String) -> [String: String] {
        get { byVendor[vendor] ?? [:] }
        set { byVendor[vendor] = newValue.isEmpty ? nil : newValue }
    }

    /// One credential of one vendor; setting nil removes it.
    public subscript(vendor: String, key: String) -> String? {
        get { byVendor[vendor]?[key] }
        set { self[vendor][key] = newValue }
    }

    /// `CONNSYNC_EMULATOR_<NAME>` for every credential each vendor declares:
    /// `_WIREMOCK_TOKEN`, `_REPORTER_TOKEN`, `_CREDIBLE_TOKEN`, `_DATAFOR_USER`,
    /// `_DATAFOR_PASSWORD`, `_WIX_TOKEN`, `_GRAFANA_TOKEN`, `_METABASE_API_KEY`.
    /// Empty values count as unset.
    public static func fromEnvironment(_ environment: [String: String]) -> EmulatorCredentials {
        var credentials = EmulatorCredentials(byVendor: [:])
        for vendor in EmulatedVendors.all {
            for (key, variable) in vendor.environment {
                if let value = environment["CONNSYNC_EMULATOR_\(variable)"], !value.isEmpty {
                    credentials[vendor.name, key] = value
                }
            }
        }
        return credentials
    }
}
