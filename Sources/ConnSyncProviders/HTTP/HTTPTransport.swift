import ConnSyncModel
import Foundation

/// Request headers, in order, with case-insensitive lookup. Never printed with values:
/// `description` lists names only (an `Authorization` value must not reach a log).
public struct HTTPHeaders: Sendable, Hashable, Sequence, CustomStringConvertible {
    public private(set) var entries: [Entry]

    public struct Entry: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public init(_ pairs: [(String, String)] = []) {
        entries = pairs.map { Entry(name: $0.0, value: $0.1) }
    }

    public mutating func add(name: String, value: String) {
        entries.append(Entry(name: name, value: value))
    }

    /// Replaces every header named `name` (case-insensitive) by one with `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        entries.removeAll { Self.sameName($0.name, name) }
        entries.append(Entry(name: name, value: value))
    }

    /// The first value of a header, case-insensitive.
    public subscript(name: String) -> String? {
        entries.first { Self.sameName($0.name, name) }?.value
    }

    /// Header names compare case-insensitively in ASCII (Foundation's comparison goes through
    /// CFString, ≈ 1% of an apply's CPU).
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count
            && zip(a.utf8, b.utf8).allSatisfy { x, y in
                x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
            }
    }

    public func contains(_ name: String) -> Bool {
        self[name] != nil
    }

    public func makeIterator() -> IndexingIterator<[Entry]> {
        entries.makeIterator()
    }

    public var description: String {
        "[" + entries.map(\.name).joined(separator: ", ") + "]"
    }
}

/// One HTTP request. Its description shows the method and the URL without
/// credentials or query, never headers or body.
public struct HTTPRequest: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    /// Absolute URL.
    public var url: String
    public var headers: HTTPHeaders
    public var body: Data?
    /// Overrides the transport's default timeout.
    public var timeout: Duration?
    /// Lowers the transport's largest answer (a list page holds at most a page of objects).
    public var maximumBodySize: Int?

    public init(
        method: String, url: String, headers: HTTPHeaders = HTTPHeaders(), body: Data? = nil, timeout: Duration? = nil,
        maximumBodySize: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maximumBodySize = maximumBodySize
    }

    public var description: String {
        "\(method) \(URLDisplay.redacted(url))"
    }
}

/// One HTTP response. Its description never includes the body.
public struct HTTPResponse: Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as a ``Value``.
    public func json() throws -> Value {
        try Value(json: body)
    }

    public var description: String {
        "HTTP \(status) (\(body.count) bytes)"
    }
}

/// The seam every vendor call goes through: real sockets in production and in
/// tests; retries, rate limits and concurrency limits wrap it as decorators.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// Where tasks that send through this transport run best (the thread its connections
    /// live on), or nil for anywhere.
    var taskExecutor: (any TaskExecutor)? { get }
}

extension HTTPTransport {
    public var taskExecutor: (any TaskExecutor)? { nil }
}

/// Why a request got no HTTP answer. Descriptions hold no credentials, query,
/// header or body.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    case connectionFailed(url: String, reason: String)
    case timedOut(url: String, after: Duration)
    case invalidURL(String)
    case bodyTooLarge(url: String, limit: Int)
    /// Cancelled while the request was (or may have been) on its way.
    case cancelled
    /// Cancelled before the request left: it was never sent.
    case cancelledBeforeSending

    public var description: String {
        switch self {
        case .connectionFailed(let url, let reason):
            return "cannot reach \(URLDisplay.redacted(url)): \(reason)"
        case .timedOut(let url, let after):
            return "no answer from \(URLDisplay.redacted(url)) within \(URLDisplay.seconds(after))"
        case .invalidURL(let url):
            return "invalid URL \(URLDisplay.redacted(url))"
        case .bodyTooLarge(let url, let limit):
            return "the answer of \(URLDisplay.redacted(url)) is larger than \(limit) bytes"
        case .cancelled:
            return "cancelled"
        case .cancelledBeforeSending:
            return "cancelled before it was sent"
        }
    }

    /// Whether a retry may help (connection problems and timeouts).
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .timedOut: return true
        default: return false
        }
    }
}

/// URLs as they may be shown: `scheme://host:port/path`, no user info, no query.
public enum URLDisplay {
    public static func redacted(_ url: String) -> String {
        // Fast path (every request is logged this way): printable ASCII without user info,
        // only a query to cut. Anything else (a control character could drive the terminal of
        // whoever reads the log) goes through URLComponents, which percent-encodes it.
        if url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "@") }) {
            let cut = url.firstIndex { $0 == "?" || $0 == "#" } ?? url.endIndex
            if url.hasPrefix("http://") || url.hasPrefix("https://") { return String(url[..<cut]) }
        }
        guard var components = URLComponents(string: url) else { return "<invalid URL>" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<invalid URL>"
    }

    static func seconds(_ duration: Duration) -> String {
        let components = duration.components
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }
}

/// Builds URLs from parts: percent-encoded path segments and query items.
public enum URLBuilder {
    /// RFC 3986 unreserved characters are kept; everything else is percent-encoded.
    public static func encode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// `a=1&paging.limit=100`, names and values encoded, in the order given.
    public static func query(_ items: [(String, String)]) -> String {
        items.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// The value of an HTTP Basic `Authorization` header.
    public static func basicAuthorization(username: String, password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}
