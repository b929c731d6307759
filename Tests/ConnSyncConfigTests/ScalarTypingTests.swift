@testable import ConnSyncConfig
import Testing

/// YAML 1.1 typing of plain scalars, as Yams' rules give it: every byte pattern the typing
/// looks at (words by case, signs, bases, underscores, exponents), and near misses.
@Suite("Plain scalar typing")
struct ScalarTypingTests {
    static let expected: [(YNode.ScalarKind, [String])] = [
        (.null, ["", "~", "null", "Null", "NULL"]),
        (.bool, ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]),
        (.int, ["0", "5432", "-5", "+5", "1_000", "0x1F", "-0x1f", "0b101", "0o17", "017", "0_7", "1__0", "1_", "9223372036854775808", "+0x_1"]),
        (.float, [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "08", "1.5", "1.5e3", "1e3", "1E-3", "-.5", ".5", "1.", "1_0.5"]),
        (.string, ["nul", "nulls", "nULL", "yEs", "nO", "tRue", "falsy", "oN", "of", "offf", ".iNf", "+.nan", ".naN", "0X1F", "0xg", "0x", "0b2", "0o8", "1.5e", "1.5e+", "+", "-", ".", "1a", "12:30", "2024-01-15", "tier", "gold", "platform", "team", "db0", "nan", "inf", "_1", "--5", "~x", "Y", "y", "n", "N", "t", "f", "o", "0.0.1", "1e5.5", "-_1"]),
    ]

    static func kind(_ text: String) -> YNode.ScalarKind {
        var copy = text
        return copy.withUTF8 { ScalarTyping.kind(of: $0) }
    }

    @Test func everySampleHasItsKind() {
        for (kind, samples) in Self.expected {
            for sample in samples {
                #expect(Self.kind(sample) == kind, "\(sample.debugDescription)")
            }
        }
    }

    @Test func aTaggedOrQuotedScalarIsNotTypedHere() {
        // Only plain scalars are typed: the same text quoted stays a string (the reader's rule).
        #expect(YAMLFastReaderTests.compare("a: '5432'\nb: \"true\"\nc: 5432\nd: true\n") == .read)
    }
}
