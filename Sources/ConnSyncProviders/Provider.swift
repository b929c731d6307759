import ConnSyncModel
import ConnSyncPlan
import Foundation

/// One vendor account, modeled on Crossplane's ExternalClient: it reports what
/// exists and sends what the planner decided; it decides nothing itself.
public protocol Provider: Sendable {
    var config: ProviderConfig { get }
    var mapping: any VendorMapping { get }

    /// Every remote connection of the account, read with the vendor's list call page by
    /// page (the remaining pages fetched concurrently once the total is known), never one
    /// GET per connection. `names`, when given, lets a vendor with a name filter list less.
    func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject]

    /// Sends the change's request and checks the vendor's answer (including errors that
    /// arrive as HTTP 200). Retries of transient failures happen below, in the transport.
    func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse

    /// Where this provider's requests are best made from (its transport's), or nil.
    var taskExecutor: (any TaskExecutor)? { get }
}

extension Provider {
    public var taskExecutor: (any TaskExecutor)? { nil }
}

/// What the vendor answered to a change that succeeded.
public struct ApplyResponse: Sendable, Hashable {
    /// The HTTP status of the final answer.
    public var status: Int
    /// The id the vendor gave a created connection, when it returns one.
    public var remoteID: String?

    public init(status: Int, remoteID: String? = nil) {
        self.status = status
        self.remoteID = remoteID
    }
}

/// A vendor call that failed, wrapped with the step and the provider, and saying what to do.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case unauthorized
        case forbidden
        case notFound
        case conflict
        case jobInProgress
        case rateLimited
        case server
        case transport
        /// The request was never sent (cancelled before it left): nothing changed.
        case notSent
        case invalidResponse
        /// The vendor answered 3xx: never followed.
        case redirected
        case rejected
        case configuration
    }

    public var kind: Kind
    /// `observe`, `create`, `update`, `delete`.
    public var operation: String
    public var provider: String
    public var status: Int?
    /// The vendor's own error code (`FET-1021`, `CONNECTION_WRITE_FORBIDDEN`, ...).
    public var code: String?
    public var message: String

    public init(kind: Kind, operation: String, provider: String, status: Int? = nil, code: String? = nil, message: String) {
        self.kind = kind
        self.operation = operation
        self.provider = provider
        self.status = status
        self.code = code
        self.message = message
    }

    /// `401 Unauthorized: FET-0001 Missing token: ... (check spec.auth of Provider X)`
    public var summary: String {
        var parts: [String] = []
        if let status { parts.append("\(status) \(Self.reason(status))") }
        var text = parts.joined()
        if let code, !code.isEmpty, code != status.map(String.init) { text += text.isEmpty ? code : ": \(code)" }
        if !message.isEmpty { text += text.isEmpty ? message : " \(message)" }
        if let hint = hint { text += " (\(hint))" }
        return text
    }

    public var description: String {
        "\(operation) \(provider): \(summary)"
    }

    var hint: String? {
        switch kind {
        case .unauthorized: return "check spec.auth of Provider \(provider) and the variables it references"
        case .forbidden: return "the credentials of Provider \(provider) lack the rights for this call"
        case .rateLimited: return "the vendor kept rate-limiting after retries; lower spec.rateLimit or spec.concurrency"
        case .transport: return "check spec.baseURL of Provider \(provider) and the network"
        case .jobInProgress: return "a job is using the connection; apply again when it has finished"
        default: return nil
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return status < 300 ? "OK" : "Error"
        }
    }

    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 429: return .rateLimited
        case 500...: return .server
        default: return .rejected
        }
    }
}
