import Foundation

/// Replaces every known secret value in text from outside (a vendor's error message, a
/// command's stderr) by `(sensitive)`, and makes that text safe to show: control
/// characters escaped, cut to ``VendorText/limit`` characters.
///
/// Secrets shorter than ``minimumLength`` are not searched for: replacing every `a` of a
/// message would make it unreadable without protecting anything worth it.
public struct Redactor: Sendable {
    public static let minimumLength = 4

    /// The secrets as given (distinct), for ``adding(_:)``.
    private let secrets: Set<String>
    /// Every secret form by its first byte, longest first: a position is compared only
    /// with the forms that start with its byte.
    private let formsByFirstByte: [[[UInt8]]]
    /// Whether any form starts with a byte: checked first, without touching the forms.
    private let starts: [Bool]

    public init(secrets: some Sequence<String>) {
        let distinct = Set(secrets)
        var forms = Set<[UInt8]>()
        for secret in distinct {
            for form in Self.forms(of: secret) where form.utf8.count >= Self.minimumLength { forms.insert(Array(form.utf8)) }
        }
        var byFirstByte = [[[UInt8]]](repeating: [], count: 256)
        for form in forms { byFirstByte[Int(form[0])].append(form) }
        for index in byFirstByte.indices where byFirstByte[index].count > 1 {
            byFirstByte[index].sort { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
        }
        self.secrets = distinct
        formsByFirstByte = byFirstByte
        starts = byFirstByte.map { !$0.isEmpty }
        isEmpty = forms.isEmpty
    }

    public static let none = Redactor(secrets: [String]())

    public let isEmpty: Bool

    /// Whether `text` holds a known secret (in any of its forms), scanned in place.
    public func containsSecret(_ text: String) -> Bool {
        guard !isEmpty, text.utf8.count >= Self.minimumLength else { return false }
        var text = text
        return text.withUTF8 { bytes in firstMatch(in: bytes, from: 0) != nil }
    }

    /// The first position in `start..<before` where a secret form begins, and its length
    /// (the longest form there).
    private func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, before: Int? = nil) -> (index: Int, length: Int)? {
        guard let base = bytes.baseAddress else { return nil }
        var index = start
        let end = min(before ?? bytes.count, bytes.count)
        while index < end {
            guard starts[Int(bytes[index])] else {
                index += 1
                continue
            }
            for form in formsByFirstByte[Int(bytes[index])] where form.count <= bytes.count - index {
                let equal = form.withUnsafeBufferPointer { memcmp($0.baseAddress!, base + index, form.count) == 0 }
                if equal { return (index, form.count) }
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
        Redactor(secrets: self.secrets.union(secrets))
    }

    /// `text` with every known secret replaced by `(sensitive)`. Every byte of every
    /// occurrence is covered: overlapping occurrences become one mask, so no tail of a
    /// secret is left showing.
    public func redact(_ text: String) -> String {
        guard !isEmpty, text.utf8.count >= Self.minimumLength else { return text }
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
                while inside < end, let next = firstMatch(in: bytes, from: inside, before: end) {
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
