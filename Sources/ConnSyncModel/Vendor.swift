import Foundation

/// A vendor's Provider type (`spec.type`: one of the names the registry lists). The
/// vendors themselves are defined in their own folders and listed in one registry; here a
/// type is only its name.
public struct VendorType: RawRepresentable, Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

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
