import Foundation

/// `--allow-host PATTERN` / `CONNSYNC_ALLOW_HOSTS` (cli.md v1.1): when any pattern is
/// given, a Provider whose base URL matches none is refused before any request. A pattern
/// is a host (`api.example.com`), a wildcard for its subdomains (`*.example.com`, which
/// does not match `example.com` itself), optionally with a port (`127.0.0.1:8443`,
/// `[::1]:8080`); without a port any port matches. Hosts compare case-insensitively.
public struct HostAllowList: Sendable, Hashable {
    struct Pattern: Sendable, Hashable {
        var host: String
        var isWildcard: Bool
        var port: Int?
    }

    let patterns: [Pattern]

    /// Throws when a pattern cannot be read (the error names it).
    public init(patterns texts: [String]) throws(HostPatternError) {
        var patterns: [Pattern] = []
        for text in texts.map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            patterns.append(try Self.parse(text))
        }
        self.patterns = patterns
    }

    /// Whether no pattern was given (everything is allowed).
    public var isEmpty: Bool { patterns.isEmpty }

    static func parse(_ text: String) throws(HostPatternError) -> Pattern {
        var rest = Substring(text.lowercased())
        var port: Int?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw HostPatternError(pattern: text) }
            let host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { throw HostPatternError(pattern: text) }
                port = number
            } else if !after.isEmpty {
                throw HostPatternError(pattern: text)
            }
            return Pattern(host: String(host), isWildcard: false, port: port)
        }
        // A bare IPv6 address is ambiguous with a port: it must be written in brackets.
        if rest.filter({ $0 == ":" }).count > 1 { throw HostPatternError(pattern: text) }
        if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else { throw HostPatternError(pattern: text) }
            port = number
            rest = rest[..<colon]
        }
        var isWildcard = false
        if rest.hasPrefix("*.") {
            isWildcard = true
            rest = rest.dropFirst(2)
        }
        let host = rest.hasSuffix(".") ? String(rest.dropLast()) : String(rest)
        guard !host.isEmpty, !host.contains("*"), !host.contains("/"), !host.contains("@") else { throw HostPatternError(pattern: text) }
        return Pattern(host: host, isWildcard: isWildcard, port: port)
    }

    /// Whether a request to `url` is allowed.
    public func allows(_ url: String) -> Bool {
        guard !patterns.isEmpty else { return true }
        guard let components = URLComponents(string: url), var host = components.host?.lowercased(), !host.isEmpty else { return false }
        if host.hasSuffix(".") { host.removeLast() }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        return patterns.contains { pattern in
            if let wanted = pattern.port, wanted != port { return false }
            return pattern.isWildcard ? host.hasSuffix("." + pattern.host) : host == pattern.host
        }
    }

    /// The refusal of a Provider whose base URL no pattern allows.
    public func refusal(provider: String, baseURL: String) -> String? {
        guard !allows(baseURL) else { return nil }
        let host = URLComponents(string: baseURL)?.host ?? "its host"
        return "Provider \(provider): spec.baseURL host \(host) matches no --allow-host pattern: refused, nothing is sent to it"
    }
}

/// A `--allow-host` pattern that cannot be read.
public struct HostPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pattern: String

    public var description: String {
        "invalid --allow-host pattern '\(pattern)': use a host (api.example.com), *.example.com, or either with :PORT"
    }
}
