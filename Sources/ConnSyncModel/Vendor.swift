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

    /// The field a spec key names, if any: by length first (the synthesized `init(rawValue:)`
    /// compares the key with every name in turn, for every key of every document).
    public init?(key: String) {
        let field: CommonField
        switch key.utf8.count {
        case 3: field = .ssl
        case 4: field = key.utf8.first == UInt8(ascii: "h") ? .host : .port
        case 6: field = key.utf8.first == UInt8(ascii: "e") ? .engine : .schema
        case 8:
            switch key.utf8.first {
            case UInt8(ascii: "d"): field = .database
            case UInt8(ascii: "u"): field = .username
            default: field = .password
            }
        default: return nil
        }
        guard key == field.rawValue else { return nil }
        self = field
    }

    /// Every field in table order, built once (`allCases` builds its array at each use).
    public static let inOrder = allCases

    public var isSecret: Bool { self == .password }

    /// The field's place in the table. Equality, hashing and order use it: the defaults of a
    /// `String` raw value compare and hash the string, and these run for every field of
    /// every connection.
    public var ordinal: Int {
        switch self {
        case .engine: return 0
        case .host: return 1
        case .port: return 2
        case .database: return 3
        case .username: return 4
        case .password: return 5
        case .schema: return 6
        case .ssl: return 7
        }
    }

    public static func == (lhs: CommonField, rhs: CommonField) -> Bool { lhs.ordinal == rhs.ordinal }
    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
    public static func < (lhs: CommonField, rhs: CommonField) -> Bool { lhs.ordinal < rhs.ordinal }
}
