import Foundation

/// The YAML 1.1 types of plain scalars (Yams' default rules for null, bool, int and float;
/// timestamps stay strings), decided by hand instead of by regular expressions.
enum ScalarTyping {
    /// The kind of a plain scalar's bytes. Most are words, and a word whose first byte can
    /// start none of the typed forms is a string without any comparison; the others are
    /// compared byte by byte (no string is made: matching a `String` against the forty words
    /// one by one was a twentieth of reading a file).
    static func kind(of bytes: UnsafeBufferPointer<UInt8>) -> YNode.ScalarKind {
        guard let first = bytes.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "t"),
            UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            return word(bytes) ?? .string
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), 48...57:
            if let kind = word(bytes) { return kind }
            if isInteger(bytes) { return .int }
            if isFloat(bytes) { return .float }
            return .string
        default:
            return .string
        }
    }

    /// The words that are typed, and their kinds.
    private static let words: [(bytes: [UInt8], kind: YNode.ScalarKind)] = {
        let table: [(YNode.ScalarKind, [String])] = [
            (.null, ["~", "null", "Null", "NULL"]),
            (.bool, ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]),
            (.float, [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"]),
        ]
        return table.flatMap { kind, words in words.map { (Array($0.utf8), kind) } }
    }()

    /// The kind of a typed word, nil for any other text (at most five bytes long).
    private static func word(_ bytes: UnsafeBufferPointer<UInt8>) -> YNode.ScalarKind? {
        guard bytes.count <= 5 else { return nil }
        for entry in words where entry.bytes.count == bytes.count && entry.bytes.elementsEqual(bytes) { return entry.kind }
        return nil
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    static func isInteger(_ all: UnsafeBufferPointer<UInt8>) -> Bool {
        var bytes = all[...]
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        guard let first = bytes.first else { return false }
        func allMatch(_ rest: Slice<UnsafeBufferPointer<UInt8>>, _ test: (UInt8) -> Bool) -> Bool {
            !rest.isEmpty && rest.allSatisfy { $0 == UInt8(ascii: "_") || test($0) }
        }
        if first == UInt8(ascii: "0"), bytes.count > 1 {
            let marker = bytes[bytes.startIndex + 1]
            let rest = bytes.dropFirst(2)
            switch marker {
            case UInt8(ascii: "x"): return allMatch(rest) { isDigit($0) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
            case UInt8(ascii: "b"): return allMatch(rest) { $0 == 48 || $0 == 49 }
            case UInt8(ascii: "o"): return allMatch(rest) { $0 >= 48 && $0 <= 55 }
            default: return allMatch(bytes.dropFirst()) { $0 >= 48 && $0 <= 55 }
            }
        }
        return isDigit(first) && bytes.allSatisfy { isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// `[-+]?([0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)?` or `\.[0-9_]+([eE][-+][0-9]+)?`.
    static func isFloat(_ all: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let bytes = all
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        var integerDigits = 0
        while index < bytes.count, isDigit(bytes[index]) || (integerDigits > 0 && bytes[index] == UInt8(ascii: "_")) {
            integerDigits += 1
            index += 1
        }
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "_") {
                fractionDigits += 1
                index += 1
            }
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            var exponentDigits = 0
            while index < bytes.count, isDigit(bytes[index]) {
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0 else { return false }
        }
        return index == bytes.count
    }
}
