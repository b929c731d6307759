/// Where an absolute `http` or `https` URL points, and the request target sent for it.
///
/// Parsed byte by byte and strictly: a URL that could make the request line or the `Host`
/// header say something else (a space, a control character, a byte beyond ASCII, a host with
/// other characters than a DNS name or an IP literal holds) is refused, so nothing of a
/// hostile URL can be smuggled into the request. User info is dropped: credentials travel in
/// headers the provider sets, never in a URL.
struct RequestTarget: Sendable, Hashable {
    var secure: Bool
    /// The host to connect to: a name or an IP address, without brackets.
    var host: String
    var port: Int
    /// Path and query, at least `/`.
    var path: String

    /// `scheme://host:port`: the key of one connection pool.
    var origin: String { (secure ? "https://" : "http://") + authority + ":" + String(port) }

    /// The `Host` header: the port only when it is not the scheme's own.
    var hostHeader: String { port == (secure ? 443 : 80) ? authority : authority + ":" + String(port) }

    /// Whether the host is an IP address (TLS then sends no server name).
    var isIPAddress: Bool { host.contains(":") || host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || Self.isDigit($0) } }

    private var authority: String { host.contains(":") ? "[" + host + "]" : host }

    init?(_ url: String) {
        let bytes = Array(url.utf8)
        guard bytes.count <= 16 << 10 else { return nil }
        var index: Int
        if Self.hasPrefix(bytes, "https://") {
            secure = true
            index = 8
        } else if Self.hasPrefix(bytes, "http://") {
            secure = false
            index = 7
        } else {
            return nil
        }
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "/"), bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: "#") {
            end += 1
        }
        // User info ends at the last "@" of the authority.
        if let at = bytes[index..<end].lastIndex(of: UInt8(ascii: "@")) { index = at + 1 }
        guard let (host, port) = Self.hostAndPort(bytes[index..<end], secure: secure) else { return nil }
        self.host = host
        self.port = port
        var pathEnd = end
        while pathEnd < bytes.count, bytes[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        let rest = bytes[end..<pathEnd]
        guard rest.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let text = String(decoding: rest, as: UTF8.self)
        path = text.isEmpty ? "/" : (text.hasPrefix("/") ? text : "/" + text)
    }

    private static func hostAndPort(_ authority: ArraySlice<UInt8>, secure: Bool) -> (String, Int)? {
        var hostBytes = authority
        var portBytes: ArraySlice<UInt8> = []
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if let colon = after.first {
                guard colon == UInt8(ascii: ":") else { return nil }
                portBytes = after.dropFirst()
            }
            guard !hostBytes.isEmpty, hostBytes.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
                return nil
            }
        } else {
            if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
                hostBytes = authority[..<colon]
                portBytes = authority[(colon + 1)...]
            }
            guard !hostBytes.isEmpty, hostBytes.count <= 253, hostBytes.allSatisfy(isNameByte) else { return nil }
        }
        var port = secure ? 443 : 80
        if !portBytes.isEmpty {
            guard portBytes.count <= 5, portBytes.allSatisfy(isDigit), let value = Int(String(decoding: portBytes, as: UTF8.self)),
                (1...65_535).contains(value)
            else { return nil }
            port = value
        }
        return (String(decoding: hostBytes, as: UTF8.self).lowercased(), port)
    }

    private static func hasPrefix(_ bytes: [UInt8], _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let start = prefix.utf8Start
        for offset in 0..<count {
            let byte = bytes[offset]
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if lower != start[offset] { return false }
        }
        return true
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }
}

/// What HTTP/1.1 allows in a header: a token for the name; visible characters, spaces and
/// tabs for the value (no CR or LF that could start another header).
enum HeaderSyntax {
    static func isValid(name: String, value: String) -> Bool {
        isToken(name) && value.utf8.allSatisfy { $0 >= 0x20 ? $0 != 0x7F : $0 == 0x09 }
    }

    /// A method or a header name.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 256 && text.utf8.allSatisfy(isTokenByte)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
