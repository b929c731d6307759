import Foundation

/// Replaces every known secret value in text from outside (a vendor's error message, a
/// command's stderr) by `(sensitive)`, and makes that text safe to show: control
/// characters escaped, cut to ``VendorText/limit`` characters.
///
/// Secrets shorter than ``minimumLength`` are not searched for: replacing every `a` of a
/// message would make it unreadable without protecting anything worth it.
public struct Redactor: Sendable {
    public static let minimumLength = 4

    /// Secret values grouped by their length in bytes (searched length by length, longest first).
    private let byLength: [Int: Set<[UInt8]>]
    private let lengths: [Int]
    /// Every secret form, longest first, for scanning in place.
    private let forms: [[UInt8]]
    /// Bytes that start a secret form: a position whose byte is not here starts none.
    private let firstBytes: FirstBytes

    public init(secrets: some Sequence<String>) {
        var byLength: [Int: Set<[UInt8]>] = [:]
        for secret in Set(secrets) {
            for form in Self.forms(of: secret) where form.utf8.count >= Self.minimumLength {
                byLength[form.utf8.count, default: []].insert(Array(form.utf8))
            }
        }
        self.byLength = byLength
        lengths = byLength.keys.sorted(by: >)
        let forms = lengths.flatMap { length in (byLength[length] ?? []).sorted { $0.lexicographicallyPrecedes($1) } }
        self.forms = forms
        firstBytes = FirstBytes(forms.compactMap(\.first))
    }

    public static let none = Redactor(secrets: [String]())

    public var isEmpty: Bool { byLength.isEmpty }

    /// Whether `text` holds a known secret (in any of its forms). Scanned in place: a
    /// position is compared only when its byte starts some secret.
    public func containsSecret(_ text: String) -> Bool {
        guard !forms.isEmpty, text.utf8.count >= Self.minimumLength else { return false }
        var text = text
        return text.withUTF8 { bytes in firstMatch(in: bytes, from: 0) != nil }
    }

    /// The first position at or after `start` where a secret form begins, and its length
    /// (the longest form there).
    private func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (index: Int, length: Int)? {
        guard let base = bytes.baseAddress else { return nil }
        var index = start
        while index < bytes.count {
            if firstBytes.contains(bytes[index]) {
                for form in forms where form.count <= bytes.count - index {
                    let equal = form.withUnsafeBufferPointer { memcmp($0.baseAddress!, base + index, form.count) == 0 }
                    if equal { return (index, form.count) }
                }
            }
            index += 1
        }
        return nil
    }

    /// A secret as it may come back: as is, percent-encoded, and the part after an auth
    /// scheme (`Basic <base64>`, `Bearer <token>`).
    static func forms(of secret: String) -> [String] {
        var forms = [secret]
        if let space = secret.firstIndex(of: " ") {
            forms.append(String(secret[secret.index(after: space)...]))
        }
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret
        if encoded != secret { forms.append(encoded) }
        return forms
    }

    /// A redactor knowing these secrets too.
    public func adding(_ secrets: some Sequence<String>) -> Redactor {
        var all: [String] = []
        for (_, set) in byLength { for bytes in set { all.append(String(decoding: bytes, as: UTF8.self)) } }
        return Redactor(secrets: all + Array(secrets))
    }

    /// `text` with every known secret replaced by `(sensitive)`. Every byte of every
    /// occurrence is covered: overlapping occurrences become one mask, so no tail of a
    /// secret is left showing.
    public func redact(_ text: String) -> String {
        guard !forms.isEmpty, text.utf8.count >= Self.minimumLength else { return text }
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard var match = firstMatch(in: bytes, from: 0) else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var copied = 0
            while true {
                output.append(contentsOf: bytes[copied..<match.index])
                output.append(contentsOf: Sensitive<String>.mask.utf8)
                // Occurrences starting inside this one extend it.
                var end = match.index + match.length
                var inside = match.index + 1
                while inside < end, let next = firstMatch(in: bytes, from: inside), next.index < end {
                    end = max(end, next.index + next.length)
                    inside = next.index + 1
                }
                copied = end
                guard let next = firstMatch(in: bytes, from: copied) else { break }
                match = next
            }
            output.append(contentsOf: bytes[copied...])
            return String(decoding: output, as: UTF8.self)
        } ?? text
    }
}

/// A 256-bit set of bytes.
private struct FirstBytes: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(_ bytes: [UInt8]) {
        for byte in bytes {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }
}

/// Text that came from outside connsync, made safe to show (cli.md v1.1, "Trust").
public enum VendorText {
    /// Vendor text is cut to this many characters.
    public static let limit = 300

    /// Whitespace runs collapsed first (so padding cannot push a secret across a cut), then
    /// redacted, control characters escaped, and cut to ``limit`` characters.
    public static func clean(_ text: String, redactor: Redactor) -> String {
        let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        // The window only bounds the work: a secret cut at its end lies far beyond the cut below.
        let window = collapsed.utf8.count > 65536 ? String(decoding: Array(collapsed.utf8.prefix(65536)), as: UTF8.self) : collapsed
        let escaped = ControlCharacters.escaped(redactor.redact(window))
        return escaped.count > limit ? String(escaped.prefix(limit)) + "…" : escaped
    }
}
