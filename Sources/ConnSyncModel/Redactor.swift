import Foundation

/// Replaces every known secret value in text from outside (a vendor's error message, a
/// command's stderr) by `(sensitive)`, and makes that text safe to show: control
/// characters escaped, cut to ``VendorText/limit`` characters.
///
/// Secrets shorter than ``minimumLength`` are not searched for: replacing every `a` of a
/// message would make it unreadable without protecting anything worth it.
public struct Redactor: Sendable {
    public static let minimumLength = 4

    /// Secret values grouped by their length in bytes (searched length by length).
    private let byLength: [Int: Set<[UInt8]>]
    private let lengths: [Int]

    public init(secrets: some Sequence<String>) {
        var byLength: [Int: Set<[UInt8]>] = [:]
        for secret in secrets {
            for form in Self.forms(of: secret) where form.utf8.count >= Self.minimumLength {
                byLength[form.utf8.count, default: []].insert(Array(form.utf8))
            }
        }
        self.byLength = byLength
        lengths = byLength.keys.sorted(by: >)
    }

    public static let none = Redactor(secrets: [String]())

    public var isEmpty: Bool { byLength.isEmpty }

    /// Whether `text` holds a known secret (in any of its forms).
    public func containsSecret(_ text: String) -> Bool {
        guard !lengths.isEmpty, text.utf8.count >= Self.minimumLength else { return false }
        var text = text
        return text.withUTF8 { bytes in
            for length in lengths where length <= bytes.count {
                guard let set = byLength[length] else { continue }
                for start in 0...(bytes.count - length) where set.contains(Array(bytes[start..<(start + length)])) { return true }
            }
            return false
        }
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

    /// `text` with every known secret replaced by `(sensitive)` (longest first).
    public func redact(_ text: String) -> String {
        guard !lengths.isEmpty else { return text }
        var bytes = Array(text.utf8)
        let mask = Array(Sensitive<String>.mask.utf8)
        var changed = false
        for length in lengths where length <= bytes.count {
            guard let set = byLength[length] else { continue }
            var output: [UInt8] = []
            var index = 0
            var replaced = false
            output.reserveCapacity(bytes.count)
            while index < bytes.count {
                if index + length <= bytes.count, set.contains(Array(bytes[index..<(index + length)])) {
                    output.append(contentsOf: mask)
                    index += length
                    replaced = true
                } else {
                    output.append(bytes[index])
                    index += 1
                }
            }
            if replaced {
                bytes = output
                changed = true
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
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
