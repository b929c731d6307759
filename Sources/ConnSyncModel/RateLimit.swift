import Foundation

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
