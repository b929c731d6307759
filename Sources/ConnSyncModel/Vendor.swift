import Foundation

/// The vendors connsync speaks to (`spec.type` of a Provider).
public enum VendorType: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case wiremockCloud = "wiremock-cloud"
    case lerianReporter = "lerian-reporter"
    case credibleData = "credible-data"
    case datafor = "datafor"
    case wixData = "wix-data"

    public var description: String { rawValue }

    public static func < (lhs: VendorType, rhs: VendorType) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// The engines a Database may declare (`spec.engine`).
public enum DatabaseEngine: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case postgresql
    case mysql
    case sqlserver
    case oracle
    case mongodb

    public var description: String { rawValue }
}

/// `spec.ssl.mode`.
public enum SSLMode: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case disable
    case require
    case verifyCA = "verify-ca"
    case verifyFull = "verify-full"

    public var description: String { rawValue }
}

/// The common fields of the format's mapping table (config-format.md).
public enum CommonField: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case engine
    case host
    case port
    case database
    case username
    case password
    case schema
    case ssl

    public var description: String { rawValue }

    public var isSecret: Bool { self == .password }

    public static func < (lhs: CommonField, rhs: CommonField) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What each vendor can hold and requires: the mapping table of config-format.md
/// and the published contracts, as data. The loader validates against it; the
/// providers map with it.
public struct VendorCapabilities: Sendable, Hashable {
    public var vendor: VendorType
    /// Common fields the vendor can hold.
    public var supportedFields: Set<CommonField>
    /// Engines the vendor accepts.
    public var supportedEngines: Set<DatabaseEngine>
    /// Whether `metadata.labels` is sent (lerian-reporter `metadata`).
    public var sendsLabels: Bool
    /// Common fields every connection of this vendor must have (own or inherited),
    /// unless `spec.options` gives them in the vendor's own shape.
    public var requiredFields: [CommonField]
    /// Whether the vendor has a published default base URL.
    public var defaultBaseURL: String?
    /// Default request rate where the vendor publishes one.
    public var defaultRateLimit: RateLimit?
    /// Auth keys of `spec.auth` the vendor uses.
    public var authKeys: Set<String>
    /// Auth keys that must be present.
    public var requiredAuthKeys: Set<String>

    public static func of(_ vendor: VendorType) -> VendorCapabilities {
        switch vendor {
        case .wiremockCloud:
            return VendorCapabilities(
                vendor: vendor,
                supportedFields: [.engine, .host, .port, .database, .username, .password],
                supportedEngines: [.postgresql, .mysql, .sqlserver, .oracle],
                sendsLabels: false,
                requiredFields: [.engine, .host, .port, .database, .username],
                defaultBaseURL: "https://api.wiremock.cloud",
                defaultRateLimit: nil,
                authKeys: ["token"],
                requiredAuthKeys: ["token"]
            )
        case .lerianReporter:
            return VendorCapabilities(
                vendor: vendor,
                supportedFields: Set(CommonField.allCases),
                supportedEngines: Set(DatabaseEngine.allCases),
                sendsLabels: true,
                requiredFields: [.engine, .host, .port, .database, .username],
                defaultBaseURL: nil,
                defaultRateLimit: nil,
                authKeys: ["token"],
                requiredAuthKeys: []
            )
        case .credibleData:
            return VendorCapabilities(
                vendor: vendor,
                supportedFields: [.engine, .host, .port, .database, .username, .password],
                supportedEngines: [.postgresql, .mysql],
                sendsLabels: false,
                requiredFields: [.engine],
                defaultBaseURL: nil,
                defaultRateLimit: nil,
                authKeys: ["token"],
                requiredAuthKeys: ["token"]
            )
        case .datafor:
            return VendorCapabilities(
                vendor: vendor,
                supportedFields: [.engine, .host, .port, .database, .username, .password],
                supportedEngines: [.postgresql, .mysql, .sqlserver, .oracle],
                sendsLabels: false,
                requiredFields: [.engine, .host, .port, .database, .username],
                defaultBaseURL: nil,
                defaultRateLimit: nil,
                authKeys: ["username", "password"],
                requiredAuthKeys: ["username", "password"]
            )
        case .wixData:
            return VendorCapabilities(
                vendor: vendor,
                supportedFields: [],
                supportedEngines: [],
                sendsLabels: false,
                requiredFields: [],
                defaultBaseURL: "https://www.wixapis.com",
                defaultRateLimit: RateLimit(count: 200, per: .minute),
                authKeys: ["token"],
                requiredAuthKeys: ["token"]
            )
        }
    }
}

/// `spec.rateLimit`: `200/m` or `10/s`.
public struct RateLimit: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, Codable {
        case second = "s"
        case minute = "m"

        public var seconds: Double { self == .second ? 1 : 60 }
    }

    public var count: Int
    public var per: Unit

    public init(count: Int, per: Unit) {
        self.count = count
        self.per = per
    }

    /// Parses `N/s` or `N/m` with N ≥ 1; nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0].trimmingCharacters(in: .whitespaces)), count > 0,
            let unit = Unit(rawValue: parts[1].trimmingCharacters(in: .whitespaces))
        else { return nil }
        self.init(count: count, per: unit)
    }

    /// Requests per second.
    public var perSecond: Double { Double(count) / per.seconds }

    public var description: String { "\(count)/\(per.rawValue)" }
}
