import AsyncHTTPClient
import ConnSyncModel
import Foundation
import NIOCore
import NIOHTTP1

/// The production transport: swift-server/async-http-client with a pooled,
/// keep-alive connection pool per host (measured in stack.md: ~15,000 req/s and
/// exactly N connections, where URLSession opened one per request). Call
/// ``shutdown()`` before the process exits.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    public let defaultTimeout: Duration
    public let maximumBodySize: Int

    /// - Parameters:
    ///   - maximumConnectionsPerHost: pooled connections per host; set it to the most requests
    ///     that may be in flight to one vendor, so none waits for a connection.
    ///   - timeout: the default per-request deadline.
    public init(maximumConnectionsPerHost: Int = 8, timeout: Duration = .seconds(30), maximumBodySize: Int = 64 << 20) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maximumConnectionsPerHost))
        // A refused connection fails at once (the retry policy above decides about retries);
        // AsyncHTTPClient would otherwise keep re-dialling until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        defaultTimeout = timeout
        self.maximumBodySize = maximumBodySize
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "User-Agent", value: ConnSyncVersion.userAgent)
        outgoing.headers.add(name: "Accept", value: "application/json")
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: "application/json")
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        for header in request.headers {
            outgoing.headers.replaceOrAdd(name: header.name, value: header.value)
        }
        let timeout = request.timeout ?? defaultTimeout
        do {
            let response = try await client.execute(outgoing, timeout: TimeAmount.nanoseconds(Self.nanoseconds(timeout)))
            let buffer = try await response.body.collect(upTo: maximumBodySize)
            var headers = HTTPHeaders()
            for (name, value) in response.headers { headers.add(name: name, value: value) }
            return HTTPResponse(status: Int(response.status.code), headers: headers, body: Data(buffer.readableBytesView))
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
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw TransportError.bodyTooLarge(url: request.url, limit: maximumBodySize)
        } catch {
            throw TransportError.connectionFailed(url: request.url, reason: Self.reason(error))
        }
    }

    /// A short reason without anything from the request.
    static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") || text.contains("EOF") { return "the server closed the connection" }
        if text.contains("NXDOMAIN") || text.contains("resolve") { return "host name not found" }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let components = duration.components
        return components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    /// Closes pooled connections. Call once, before exit.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
