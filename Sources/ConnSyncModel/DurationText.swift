import Foundation

/// Durations as users write them in flags: `500ms`, `30s`, `2m`, `1h`, `1m30s`; a bare number is seconds.
public enum DurationText {
    /// The longest duration a flag takes: one year. Anything longer (`1e300`, `inf`) is refused as a
    /// mistake rather than converted, since converting it to milliseconds would overflow.
    public static let maximumSeconds: Double = 365 * 24 * 3600

    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        if let seconds = Double(trimmed) { return milliseconds(seconds: seconds) }
        var totalSeconds: Double = 0
        var number = ""
        var unit = ""
        var parsedAny = false
        func flush() -> Bool {
            guard let value = Double(number), value >= 0 else { return false }
            let factor: Double
            switch unit {
            case "ms": factor = 0.001
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            default: return false
            }
            totalSeconds += value * factor
            number = ""
            unit = ""
            parsedAny = true
            return true
        }
        for character in trimmed {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard flush(), parsedAny else { return nil }
        return milliseconds(seconds: totalSeconds)
    }

    /// Whole milliseconds, or nil for a negative, non-finite or longer-than-maximum value.
    private static func milliseconds(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= maximumSeconds else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// `1.5 s`, `250 ms`, `2 min`.
    public static func format(_ duration: Duration) -> String {
        let components = duration.components
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 120 {
            return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\((seconds * 10).rounded() / 10) s"
        }
        return "\((seconds / 6).rounded() / 10) min"
    }
}

/// A duration in a log line: `24 ms` in text logs, the number of seconds (`0.024`) in JSON logs.
public struct LogSeconds: CustomStringConvertible, Sendable, Hashable {
    public var seconds: Double

    public init(_ duration: Duration) {
        let components = duration.components
        seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    public var description: String { DurationText.format(.milliseconds(Int64((seconds * 1000).rounded()))) }
}
