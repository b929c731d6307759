import AsyncHTTPClient
import ConnSyncModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The production transport: swift-server/async-http-client with a pooled,
/// keep-alive connection pool per host (measured in stack.md: ~15,000 req/s and
/// exactly N connections, where URLSession opened one per request). Call
/// ``shutdown()`` before the process exits.
///
/// Every request has a total deadline that covers the whole body (AsyncHTTPClient's own
/// deadline ends with the response head), and a read-idle timeout. Redirects are never
/// followed. Errors are mapped to connsync's own words: a client error is never shown
/// with `String(describing:)`, which can hold header values.
///
/// The pool grows on demand: per host, at most ``initialConnectionsPerHost`` requests are
/// in flight at first, one more after each answer, up to `maximumConnectionsPerHost`.
/// AsyncHTTPClient dials one connection per waiting request, so a burst would otherwise
/// open every slot at once (a server with a small listen backlog drops the SYNs).
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    public let defaultTimeout: Duration
    public let maximumBodySize: Int
    private let maximumConnectionsPerHost: Int
    private let ramps = HostRamps()

    /// Requests in flight per host before the first answer.
    public static let initialConnectionsPerHost = 8
    /// At exit, the longest wait for the pool to close. A connection attempt still pending
    /// then (a dropped SYN is retried after a second) is needed by no request: the process
    /// ends without it.
    public static let shutdownGrace: Duration = .milliseconds(100)

    /// - Parameters:
    ///   - maximumConnectionsPerHost: pooled connections per host; set it to the most requests
    ///     that may be in flight to one vendor, so none waits for a connection.
    ///   - timeout: the default whole-request deadline (`--request-timeout`).
    ///   - readIdleTimeout: the longest wait for the next bytes of an answer.
    public init(
        maximumConnectionsPerHost: Int = 8, timeout: Duration = .seconds(60), readIdleTimeout: Duration = .seconds(30),
        maximumBodySize: Int = 64 << 20
    ) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maximumConnectionsPerHost))
        // A refused connection fails at once (the retry policy above decides about retries);
        // AsyncHTTPClient would otherwise keep re-dialling until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(
            connect: .seconds(10), read: .nanoseconds(Self.nanoseconds(min(readIdleTimeout, timeout))))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.maximumConnectionsPerHost = max(1, maximumConnectionsPerHost)
        defaultTimeout = timeout
        self.maximumBodySize = maximumBodySize
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let ramp = ramps.limiter(for: request.url, limit: maximumConnectionsPerHost, initial: Self.initialConnectionsPerHost)
        do {
            try await ramp.acquire()
        } catch {
            throw TransportError.cancelledBeforeSending
        }
        do {
            let response = try await exchange(request)
            await ramp.release(succeeded: true)
            return response
        } catch {
            await ramp.release(succeeded: false)
            throw error
        }
    }

    /// One request on AsyncHTTPClient's event-loop API: its deadline covers the whole
    /// exchange, body included (the async API's ends with the response head), so no timer
    /// or extra task is needed per request, and the body is gathered on the event loop.
    private func exchange(_ request: HTTPRequest) async throws -> HTTPResponse {
        var headers = NIOHTTP1.HTTPHeaders()
        headers.add(name: "User-Agent", value: ConnSyncVersion.userAgent)
        headers.add(name: "Accept", value: "application/json")
        if request.body != nil { headers.add(name: "Content-Type", value: "application/json") }
        for header in request.headers { headers.replaceOrAdd(name: header.name, value: header.value) }
        let timeout = request.timeout ?? defaultTimeout
        let limit = min(request.maximumBodySize ?? maximumBodySize, maximumBodySize)
        let outgoing: HTTPClient.Request
        do {
            outgoing = try HTTPClient.Request(
                url: request.url, method: HTTPMethod(rawValue: request.method), headers: headers, body: request.body.map { .bytes($0) })
        } catch {
            throw TransportError.invalidURL(request.url)
        }
        guard !Task.isCancelled else { throw TransportError.cancelledBeforeSending }
        let task = client.execute(
            request: outgoing, delegate: ResponseAccumulator(request: outgoing, maxBodySize: limit),
            deadline: .now() + .nanoseconds(Self.nanoseconds(timeout)))
        do {
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            var body = Data()
            if let buffer = response.body { body = Data(buffer.readableBytesView) }
            var answered = HTTPHeaders()
            for (name, value) in response.headers { answered.add(name: name, value: value) }
            return HTTPResponse(status: Int(response.status.code), headers: answered, body: body)
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                throw TransportError.timedOut(url: request.url, after: timeout)
            case .connectTimeout:
                throw TransportError.connectionFailed(url: request.url, reason: "connection timed out")
            case .cancelled:
                throw TransportError.cancelled
            case .invalidURL, .emptyHost, .emptyScheme:
                throw TransportError.invalidURL(request.url)
            default:
                throw TransportError.connectionFailed(url: request.url, reason: Self.reason(error))
            }
        } catch is CancellationError {
            throw TransportError.cancelled
        } catch is ResponseAccumulator.ResponseTooBigError {
            throw TransportError.bodyTooLarge(url: request.url, limit: limit)
        } catch is NIOTooManyBytesError {
            throw TransportError.bodyTooLarge(url: request.url, limit: limit)
        } catch {
            throw TransportError.connectionFailed(url: request.url, reason: Self.reason(error))
        }
    }

    /// A short reason in connsync's words: nothing of the request (a header value, a body)
    /// can be in it.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            if error == .remoteConnectionClosed { return "the server closed the connection" }
            if error == .tlsHandshakeTimeout { return "the TLS handshake timed out" }
            let short = error.shortDescription
            if short.lowercased().contains("header") {
                return "a request header holds a character HTTP does not allow (check the Provider's auth values)"
            }
            return short.lowercased()
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty { return "host name not found" }
            if let first = error.connectionErrors.first { return reason(first.error) }
            return "cannot connect"
        case let error as IOError:
            return errnoText(error.errnoCode)
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return "connection timed out"
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return "the server closed the connection"
            default: return "the connection failed"
            }
        default:
            let type = String(describing: Swift.type(of: error))
            if type.contains("SSL") || type.contains("TLS") { return "TLS failed (check the server's certificate)" }
            if type.contains("Resolver") || type.contains("DNS") || type.contains("GetaddrinfoError") { return "host name not found" }
            return "the connection failed"
        }
    }

    static func errnoText(_ code: CInt) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "the server reset the connection"
        case ETIMEDOUT: return "connection timed out"
        case EHOSTUNREACH, ENETUNREACH: return "no route to the host"
        default: return String(cString: strerror(code)).lowercased()
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let components = duration.components
        return components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    /// Closes pooled connections, waiting at most ``shutdownGrace``. Call once, before exit.
    public func shutdown() async {
        let client = self.client
        // Not a task group: it would wait for both. The shutdown goes on after the grace; the
        // task keeps the client alive until it is done.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            Task {
                try? await client.shutdown()
                once.resume()
            }
            Task {
                try? await Task.sleep(for: Self.shutdownGrace)
                once.resume()
            }
        }
    }
}

/// Resumes a continuation the first time it is asked to.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func resume() {
        let continuation = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume()
    }
}

/// One growing limiter per scheme, host and port.
private final class HostRamps: @unchecked Sendable {
    private let lock = NSLock()
    private var limiters: [String: ConcurrencyLimiter] = [:]

    func limiter(for url: String, limit: Int, initial: Int) -> ConcurrencyLimiter {
        let key = Self.origin(url)
        return lock.withLock {
            if let limiter = limiters[key] { return limiter }
            let limiter = ConcurrencyLimiter(limit: limit, startingAt: initial)
            limiters[key] = limiter
            return limiter
        }
    }

    /// `scheme://host:port` of a URL: everything before the path.
    static func origin(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return String(url[..<end])
    }
}
