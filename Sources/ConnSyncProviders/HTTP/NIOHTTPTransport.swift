import ConnSyncModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The production transport: HTTP/1.1 over SwiftNIO, with a keep-alive connection pool per
/// origin. Call ``shutdown()`` before the process exits.
///
/// It replaced AsyncHTTPClient, measured: a 5,000-write apply spent 15% of its CPU in
/// AsyncHTTPClient's state machines and request objects, 4% parsing every URL with Foundation,
/// and sent each request in two writes. Here a request is one `writev` and one promise, and
/// its answer is gathered on the event loop (``HTTP1ExchangeHandler``).
///
/// Every request has a total deadline that covers connecting and the whole body, and a
/// read-idle timeout. Redirects are never followed (a 3xx is an answer like any other).
/// URLs and headers are checked before anything is sent (``RequestTarget``, ``HeaderSyntax``);
/// errors are in connsync's own words and hold no header value.
///
/// Every connection lives on one event loop, which ``taskExecutor`` offers as a task executor:
/// the engine sends each provider's changes from there, so a write is made, its answer read
/// and its task resumed on one thread (``EventLoopTaskExecutor``).
///
/// The pool grows on demand: per origin, at most ``initialConnectionsPerHost`` requests are in
/// flight at first, one more after each answer, up to `maximumConnectionsPerHost`, and a
/// connection is only opened for a request that finds none idle. A connection goes back to the
/// pool before the request's permit does, so there are never more connections than permits.
public final class NIOHTTPTransport: HTTPTransport {
    public let defaultTimeout: Duration
    public let maximumBodySize: Int
    private let readIdleTimeout: Duration
    private let maximumConnectionsPerHost: Int
    private let group: any EventLoopGroup
    private let ramps = HostRamps()
    let pool: ConnectionPool
    let executor: EventLoopTaskExecutor

    /// Requests in flight per host before the first answer.
    public static let initialConnectionsPerHost = 8
    /// At exit, the longest wait for the pool to close.
    public static let shutdownGrace: Duration = .milliseconds(100)
    /// The longest wait for a connection to be accepted.
    static let connectTimeout: Duration = .seconds(10)

    /// - Parameters:
    ///   - maximumConnectionsPerHost: pooled connections per host; set it to the most requests
    ///     that may be in flight to one vendor, so none waits for a connection.
    ///   - timeout: the default whole-request deadline (`--request-timeout`).
    ///   - readIdleTimeout: the longest wait for the next bytes of an answer.
    ///   - idleConnectionTimeout: a pooled connection unused this long is closed, not reused.
    public init(
        maximumConnectionsPerHost: Int = 8, timeout: Duration = .seconds(60), readIdleTimeout: Duration = .seconds(30),
        maximumBodySize: Int = 64 << 20, idleConnectionTimeout: Duration = .seconds(60)
    ) {
        self.maximumConnectionsPerHost = max(1, maximumConnectionsPerHost)
        defaultTimeout = timeout
        self.readIdleTimeout = readIdleTimeout
        self.maximumBodySize = maximumBodySize
        group = MultiThreadedEventLoopGroup.singleton
        pool = ConnectionPool(idleTimeout: idleConnectionTimeout)
        executor = EventLoopTaskExecutor(loop: group.next())
    }

    /// The loop every connection of this transport lives on, as an executor: a task that runs
    /// on it makes its requests and reads their answers without changing threads.
    public var taskExecutor: (any TaskExecutor)? { executor }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let target = RequestTarget(request.url), HeaderSyntax.isToken(request.method) else {
            throw TransportError.invalidURL(request.url)
        }
        for header in request.headers where !HeaderSyntax.isValid(name: header.name, value: header.value) {
            throw TransportError.connectionFailed(
                url: request.url, reason: "a request header holds a character HTTP does not allow (check the Provider's auth values)")
        }
        let ramp = ramps.limiter(for: target.origin, limit: maximumConnectionsPerHost, initial: Self.initialConnectionsPerHost)
        do {
            try await ramp.acquire()
        } catch {
            throw TransportError.cancelledBeforeSending
        }
        do {
            let response = try await exchange(request, target: target)
            await ramp.release(succeeded: true)
            return response
        } catch {
            await ramp.release(succeeded: false)
            throw error
        }
    }

    private func exchange(_ request: HTTPRequest, target: RequestTarget) async throws -> HTTPResponse {
        let timeout = request.timeout ?? defaultTimeout
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let channel = try await connection(to: target, url: request.url, timeout: timeout, deadline: deadline)
        guard !Task.isCancelled else {
            pool.put(channel, origin: target.origin)
            throw TransportError.cancelledBeforeSending
        }
        var headers = NIOHTTP1.HTTPHeaders()
        headers.reserveCapacity(request.headers.entries.count + 5)
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "User-Agent", value: ConnSyncVersion.userAgent)
        headers.add(name: "Accept", value: "application/json")
        if request.body != nil { headers.add(name: "Content-Type", value: "application/json") }
        for header in request.headers { headers.replaceOrAdd(name: header.name, value: header.value) }
        var body: ByteBuffer?
        if let data = request.body {
            body = channel.allocator.buffer(capacity: data.count)
            body?.writeBytes(data)
        }
        let method = HTTPMethod(rawValue: request.method)
        if body != nil || ["POST", "PUT", "PATCH"].contains(request.method) {
            headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        }
        let promise = channel.eventLoop.makePromise(of: HTTP1Answer.self)
        let exchange = HTTP1Exchange(
            head: HTTPRequestHead(version: .http1_1, method: method, uri: target.path, headers: headers), body: body, url: request.url,
            timeout: timeout, deadline: deadline, readIdle: TimeAmount(min(readIdleTimeout, timeout)),
            maximumBodySize: min(request.maximumBodySize ?? maximumBodySize, maximumBodySize), promise: promise)
        // On a connection closed since it was pooled, the write fails before any handler sees it.
        let url = request.url
        channel.writeAndFlush(exchange).whenFailure { error in
            promise.fail(TransportError.connectionFailed(url: url, reason: Self.reason(error)))
        }
        let answer = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.triggerUserOutboundEvent(HTTP1Cancel(), promise: nil)
        }
        if answer.reusable { pool.put(channel, origin: target.origin) }
        return answer.response
    }

    /// An idle pooled connection to the target's origin, or a new one.
    private func connection(to target: RequestTarget, url: String, timeout: Duration, deadline: NIODeadline) async throws -> any Channel {
        if let channel = pool.take(origin: target.origin) { return channel }
        let tls = try target.secure ? pool.tlsContext(url: url) : nil
        let serverName = target.isIPAddress ? nil : target.host
        let reason: @Sendable (any Error) -> String = { Self.reason($0) }
        let remaining = deadline - .now()
        // Every connection lives on the loop the transport's tasks run on (``taskExecutor``).
        let loop = executor.loop
        // With several addresses each connection attempt has a channel, and a handshake, of its own.
        let handshakes = Handshakes()
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(min(TimeAmount(Self.connectTimeout), max(remaining, .milliseconds(1))))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try pipeline.addHTTPClientHandlers()
                    let ready = tls == nil ? nil : channel.eventLoop.makePromise(of: Void.self)
                    if let ready { handshakes.add(ready.futureResult, of: channel) }
                    try pipeline.addHandler(HTTP1ExchangeHandler(reason: reason, tlsReady: ready))
                }
            }
        // A request cancelled while its connection is being made gives up at once (a server
        // that drops SYNs would otherwise hold it for the connect timeout); the connection, if
        // it is made after all, is closed.
        let connecting = bootstrap.connect(host: target.host, port: target.port)
        let connected = loop.makePromise(of: (any Channel).self)
        connecting.cascade(to: connected)
        connecting.whenSuccess { channel in connected.futureResult.whenFailure { _ in channel.close(promise: nil) } }
        let channel: any Channel
        do {
            channel = try await withTaskCancellationHandler {
                try await connected.futureResult.get()
            } onCancel: {
                connected.fail(TransportError.cancelledBeforeSending)
            }
        } catch let error as TransportError {
            throw error
        } catch ChannelError.connectTimeout {
            if NIODeadline.now() >= deadline { throw TransportError.timedOut(url: url, after: timeout) }
            throw TransportError.connectionFailed(url: url, reason: "connection timed out")
        } catch {
            throw TransportError.connectionFailed(url: url, reason: Self.reason(error))
        }
        guard tls != nil else { return channel }
        let handshake = handshakes.of(channel)
        guard let handshake else {
            channel.close(promise: nil)
            throw TransportError.connectionFailed(url: url, reason: "TLS failed")
        }
        // The handshake of the connection made, bounded by the request's deadline.
        let tlsReady = loop.makePromise(of: Void.self)
        handshake.cascade(to: tlsReady)
        let limit = loop.scheduleTask(deadline: deadline) { tlsReady.fail(TransportError.timedOut(url: url, after: timeout)) }
        defer { limit.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await tlsReady.futureResult.get()
            } onCancel: {
                tlsReady.fail(TransportError.cancelledBeforeSending)
            }
            return channel
        } catch {
            channel.close(promise: nil)
            if let error = error as? TransportError { throw error }
            throw TransportError.connectionFailed(url: url, reason: Self.reason(error))
        }
    }

    /// A short reason in connsync's words: nothing of the request (a header value, a body)
    /// can be in it.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as TransportError:
            if case .connectionFailed(_, let reason) = error { return reason }
            return "the connection failed"
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
        case is NIOSSLError, is BoringSSLError:
            return "TLS failed (check the server's certificate)"
        case is HTTPParserError:
            return "the server's answer is not valid HTTP"
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

    /// Closes pooled connections, waiting at most ``shutdownGrace``. Call once, before exit.
    public func shutdown() async {
        let closing = pool.drain().map { $0.close() }
        guard !closing.isEmpty else { return }
        let all = EventLoopFuture.andAllComplete(closing, on: group.next())
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            all.whenComplete { _ in once.resume() }
            group.next().scheduleTask(in: TimeAmount(Self.shutdownGrace)) { once.resume() }
        }
    }
}

/// Idle keep-alive connections per origin, most recently used first.
final class ConnectionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [String: [(channel: any Channel, since: NIODeadline)]] = [:]
    private var tls: NIOSSLContext?
    private let idleTimeout: TimeAmount

    init(idleTimeout: Duration) {
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    /// The most recently used open connection; those closed meanwhile or idle too long are closed
    /// and forgotten.
    func take(origin: String) -> (any Channel)? {
        let now = NIODeadline.now()
        var stale: [any Channel] = []
        defer { for channel in stale { channel.close(promise: nil) } }
        return lock.withLock {
            while let last = idle[origin]?.popLast() {
                if last.channel.isActive, now - last.since < idleTimeout { return last.channel }
                stale.append(last.channel)
            }
            return nil
        }
    }

    func put(_ channel: any Channel, origin: String) {
        let now = NIODeadline.now()
        lock.withLock { idle[origin, default: []].append((channel, now)) }
    }

    /// Every idle connection, forgotten.
    func drain() -> [any Channel] {
        lock.withLock {
            defer { idle = [:] }
            return idle.values.flatMap { $0.map(\.channel) }
        }
    }

    /// The TLS client context (system trust roots, full verification), made on first use.
    func tlsContext(url: String) throws(TransportError) -> NIOSSLContext {
        do {
            return try lock.withLock {
                if let tls { return tls }
                let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                tls = context
                return context
            }
        } catch {
            throw TransportError.connectionFailed(url: url, reason: "TLS cannot be set up (check the system's CA certificates)")
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

/// One growing limiter per origin.
private final class HostRamps: @unchecked Sendable {
    private let lock = NSLock()
    private var limiters: [String: ConcurrencyLimiter] = [:]

    func limiter(for origin: String, limit: Int, initial: Int) -> ConcurrencyLimiter {
        lock.withLock {
            if let limiter = limiters[origin] { return limiter }
            let limiter = ConcurrencyLimiter(limit: limit, startingAt: initial)
            limiters[origin] = limiter
            return limiter
        }
    }
}

/// The TLS handshakes of one connection's attempts (one per address tried), by channel. The
/// channels themselves are held (not their identifiers, which a later attempt could reuse once
/// a failed one is freed) until the connection is made.
private final class Handshakes: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [(any Channel, EventLoopFuture<Void>)] = []

    func add(_ handshake: EventLoopFuture<Void>, of channel: any Channel) {
        lock.withLock { list.append((channel, handshake)) }
    }

    func of(_ channel: any Channel) -> EventLoopFuture<Void>? {
        lock.withLock { list.first { $0.0 === channel }?.1 }
    }
}
