import ConnSyncModel
import ConnSyncPlan
import Foundation

/// The HTTP side every vendor shares: base URL, auth headers, request bodies serialized
/// with secrets revealed (only here), error answers read through the vendor's envelope.
public struct VendorHTTP: Sendable {
    public let config: ProviderConfig
    let baseURL: String
    let transport: any HTTPTransport
    let api: any VendorAPI
    /// Auth headers (secret values): sent, never logged or shown.
    let authHeaders: [(String, String)]
    /// Headers every call of this provider carries (e.g. `X-Tenant-ID`).
    let commonHeaders: [(String, String)]
    /// Every secret of the run, and this provider's auth values: kept out of vendor text.
    let redactor: Redactor

    init(config: ProviderConfig, definition: VendorDefinition, transport: any HTTPTransport, redactor: Redactor = .none) throws(ProviderError) {
        self.config = config
        api = definition.api
        guard var base = definition.rules.baseURL(of: config) else {
            throw ProviderError(
                kind: .configuration, operation: "configure", provider: config.name,
                message: "Provider \(config.name) has no spec.baseURL and \(config.type) has no default")
        }
        while base.hasSuffix("/") { base.removeLast() }
        // Foundation's URL (the config check) accepts a few the request target does not (a
        // host beyond ASCII, port 0): no request to them could be sent, so say so once, here.
        guard RequestTarget(base) != nil else {
            throw ProviderError(
                kind: .configuration, operation: "configure", provider: config.name,
                message: "spec.baseURL of Provider \(config.name) cannot be used as a request URL (an http or https URL with an ASCII host and a port from 1 to 65535); nothing was sent")
        }
        baseURL = base
        self.transport = transport
        commonHeaders = definition.api.commonHeaders(config)
        let auth = try Self.authHeaders(for: config, scheme: definition.api.auth)
        authHeaders = auth
        self.redactor = redactor.adding(auth.map(\.1))
    }

    /// The auth headers of `config` in `scheme` (secret values: sent, never shown).
    public static func authHeaders(for config: ProviderConfig, scheme: AuthScheme) throws(ProviderError) -> [(String, String)] {
        func reveal(_ secret: Secret?, _ key: String) throws(ProviderError) -> String? {
            guard let secret else { return nil }
            guard let value = secret.value?.revealed() else {
                throw ProviderError(
                    kind: .configuration, operation: "configure", provider: config.name,
                    message: "spec.auth.\(key) of Provider \(config.name) is not resolved")
            }
            return value
        }
        switch scheme {
        case .token(let header, let prefix):
            return try reveal(config.auth.token, "token").map { [(header, prefix + $0)] } ?? []
        case .basic:
            guard let user = try reveal(config.auth.username, "username"), let password = try reveal(config.auth.password, "password")
            else { return [] }
            return [("Authorization", URLBuilder.basicAuthorization(username: user, password: password))]
        }
    }

    /// Sends one call. `path` starts with `/` and is already percent-encoded.
    public func send(
        _ method: String, _ path: String, headers extra: [String: String] = [:], body: Value? = nil, operation: String,
        maximumBodySize: Int? = nil
    ) async throws(ProviderError) -> HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in authHeaders + commonHeaders { headers.add(name: name, value: value) }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { headers.replaceOrAdd(name: name, value: value) }
        // HTTP allows no control character in a header: say which header, never its value.
        for header in headers where !NameRules.isSingleLine(header.value) {
            throw ProviderError(
                kind: .configuration, operation: operation, provider: config.name,
                message: "the \(header.name) header would hold a control character (a line break in a secret?); nothing was sent")
        }
        let data: Data?
        do {
            data = try body.map { try $0.jsonData(secrets: .reveal) }
        } catch {
            throw ProviderError(kind: .configuration, operation: operation, provider: config.name, message: "\(error)")
        }
        // Defence in depth: the allow list and the trusted source judged the base URL, so no
        // request may leave its origin, whatever a path built from a vendor's answer holds. A
        // path that starts with `/` comes after the base URL's authority has ended, so it
        // cannot change the scheme, host or port.
        guard path.isEmpty || path.utf8.first == UInt8(ascii: "/") else {
            throw ProviderError(
                kind: .configuration, operation: operation, provider: config.name,
                message: "a request would leave the origin of spec.baseURL (a name or id from the vendor's answer holds URL syntax?); nothing was sent")
        }
        let request = HTTPRequest(method: method, url: baseURL + path, headers: headers, body: data, maximumBodySize: maximumBodySize)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw ProviderError(
                kind: error == .cancelledBeforeSending ? .notSent : .transport, operation: operation, provider: config.name,
                message: error.description)
        } catch is CancellationError {
            throw ProviderError(kind: .transport, operation: operation, provider: config.name, message: "cancelled")
        } catch {
            throw ProviderError(kind: .transport, operation: operation, provider: config.name, message: "the request failed")
        }
        // Redirects are never followed: credentials never leave the configured origin.
        if (300..<400).contains(response.status) {
            let target = response.headers["Location"].flatMap(Self.host(ofLocation:)).map(clean) ?? "an unnamed location"
            throw ProviderError(
                kind: .redirected, operation: operation, provider: config.name, status: response.status,
                message: "the vendor redirects to \(target); connsync never follows redirects, so credentials stay with the configured origin: check spec.baseURL")
        }
        return response
    }

    /// The host (and port) a `Location` header names, escaped for display; nil when it names none.
    static func host(ofLocation location: String) -> String? {
        guard let components = URLComponents(string: location.trimmingCharacters(in: .whitespaces)), let host = components.host, !host.isEmpty
        else { return location.hasPrefix("/") ? "a path on the same host" : nil }
        let shown = components.port.map { "\(host):\($0)" } ?? host
        return ControlCharacters.escaped(String(shown.prefix(255)))
    }

    /// Vendor text made safe to show: secrets redacted, control characters escaped, bounded.
    public func clean(_ text: String) -> String {
        VendorText.clean(text, redactor: redactor)
    }

    /// The body as JSON, or an error naming the call.
    public func json(_ response: HTTPResponse, operation: String) throws(ProviderError) -> Value {
        do {
            return try Value(json: response.body)
        } catch {
            throw ProviderError(
                kind: .invalidResponse, operation: operation, provider: config.name, status: response.status,
                message: "the vendor's answer is not the JSON its API documents (\(error))")
        }
    }

    /// A `ProviderError` from a non-2xx answer, reading the vendor's error envelope.
    public func failure(_ response: HTTPResponse, operation: String) -> ProviderError {
        let envelope = (try? Value(json: response.body)) ?? .null
        var text = api.errorText(envelope, body: response.body, status: response.status)
        if text.message.isEmpty, response.status == 401 {
            text.message = Self.bodyText(response.body)
        }
        let kind: ProviderError.Kind = text.isBusy ? .jobInProgress : ProviderError.kind(forStatus: response.status)
        return ProviderError(
            kind: kind, operation: operation, provider: config.name, status: response.status, code: text.code.map(clean),
            message: clean(text.message))
    }

    /// The start of a body that is not the vendor's JSON envelope, as a message.
    public static func bodyText(_ body: Data) -> String {
        String(decoding: body.prefix(4096), as: UTF8.self)
    }

    public static func isSuccess(_ status: Int) -> Bool { (200..<300).contains(status) }

    /// The operation word for a change.
    public static func operation(_ change: Change) -> String {
        switch change.action {
        case .create: return "create"
        case .delete: return "delete"
        default: return "update"
        }
    }

    /// Sends a change's request and fails on a non-2xx answer.
    public func sendChange(_ change: Change) async throws(ProviderError) -> HTTPResponse {
        let operation = Self.operation(change)
        guard let request = change.request else {
            throw ProviderError(kind: .configuration, operation: operation, provider: config.name, message: "nothing to send")
        }
        let response = try await send(request.method, request.path, headers: request.headers, body: request.body, operation: operation)
        guard Self.isSuccess(response.status) else { throw failure(response, operation: operation) }
        return response
    }

    /// Fetches `pages` with at most the provider's concurrency in flight (never one task per
    /// announced page), returning them in page order.
    func fetchPages<T: Sendable>(
        _ pages: ClosedRange<Int>, fetch: @escaping @Sendable (Int) async throws(ProviderError) -> T
    ) async throws(ProviderError) -> [T] {
        let window = max(1, config.concurrency)
        do {
            return try await withThrowingTaskGroup(of: (Int, T).self) { group in
                var next = pages.lowerBound
                func start() {
                    let page = next
                    group.addTask {
                        do { return (page, try await fetch(page)) } catch { throw error }
                    }
                    next += 1
                }
                while next <= pages.upperBound, next - pages.lowerBound < window { start() }
                var results: [Int: T] = [:]
                for try await (page, value) in group {
                    results[page] = value
                    if next <= pages.upperBound { start() }
                }
                return pages.map { results[$0]! }
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(kind: .transport, operation: "observe", provider: config.name, message: "cancelled")
        }
    }

    /// The remote objects of a list, with their identities read through the mapping;
    /// normalized as they arrive (a whole unpaged list on all cores). An item that is not a
    /// connection object with a name fails the provider: it could be the very connection a
    /// plan would otherwise create a second time.
    func remoteObjects(_ items: [Value], mapping: any VendorMapping) throws(ProviderError) -> [RemoteObject] {
        let objects = Parallel.map(items) { raw -> RemoteObject? in
            guard let identity = mapping.identity(of: raw) else { return nil }
            return RemoteObject(id: identity.id, name: identity.name, raw: raw)
        }
        let unreadable = objects.count { $0 == nil }
        guard unreadable == 0 else {
            throw ProviderError(
                kind: .invalidResponse, operation: "observe", provider: config.name,
                message: "\(unreadable) item\(unreadable == 1 ? "" : "s") of the vendor's list \(unreadable == 1 ? "is not a connection object" : "are not connection objects") with a name; connsync does not plan from it")
        }
        return objects.compactMap { $0 }
    }
}
