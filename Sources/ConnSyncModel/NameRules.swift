/// The name rules of the format, written once and checked byte by byte: fully anchored
/// by construction (a regular expression's `$` also matches before a final newline, so
/// `"orders\n"` passed one).
public enum NameRules {
    /// `metadata.name`: `^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`.
    public static func isValidName(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, isAlphanumeric(first), bytes.count <= 100 else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// The rule as users read it in messages.
    public static let nameRuleText = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"

    /// An environment variable name: `^[A-Za-z_][A-Za-z0-9_]*$`.
    public static func isEnvironmentName(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
    }

    /// `^[a-zA-Z0-9_-]+$`, at most `maximumLength` characters when given.
    public static func isIdentifier(_ text: String, maximumLength: Int? = nil) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty else { return false }
        if let maximumLength, bytes.count > maximumLength { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Whether a value may be sent in an HTTP header or a single-line field: no control
    /// character (C0, DEL, C1).
    public static func isSingleLine(_ text: String) -> Bool {
        !text.unicodeScalars.contains { ControlCharacters.isControl($0) }
    }

    /// Whether a multi-line secret (PEM) holds no control character other than `\n`, `\r`, `\t`.
    public static func isMultiLineText(_ text: String) -> Bool {
        !text.unicodeScalars.contains { ControlCharacters.isControl($0) && $0 != "\n" && $0 != "\r" && $0 != "\t" }
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= 48 && byte <= 57)
    }
}

/// Control and invisible formatting characters, which text from outside (a vendor's
/// error, a YAML value) must not bring to a terminal as they are.
public enum ControlCharacters {
    /// C0 controls, DEL and C1 controls.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F)
    }

    /// Bidirectional overrides and zero-width characters, which can make a line read
    /// differently from what it holds.
    public static func isInvisibleFormat(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    /// `text` with every control or invisible formatting character written as an escape
    /// (`\n`, `\t`, `\r`, `\u{1B}`): safe to print on one terminal line.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) || isInvisibleFormat($0) }) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            default:
                if isControl(scalar) || isInvisibleFormat(scalar) {
                    result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
                } else {
                    result.append(scalar)
                }
            }
        }
        return String(result)
    }
}
