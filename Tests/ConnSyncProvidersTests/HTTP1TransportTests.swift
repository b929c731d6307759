import ConnSyncModel
@testable import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// The HTTP/1.1 client itself, against a plain-socket server that answers what each test
// scripts, down to broken or hostile bytes.

@Suite("HTTP/1.1 client")
struct HTTP1TransportTests {
    struct Parsed: Sendable, CustomStringConvertible {
        var url: String
        var secure: Bool
        var host: String
        var port: Int
        var path: String
        var hostHeader: String
        var description: String { url }
    }

    @Test(arguments: [
        Parsed(url: "http://127.0.0.1:8080/a/b?c=d#frag", secure: false, host: "127.0.0.1", port: 8080, path: "/a/b?c=d", hostHeader: "127.0.0.1:8080"),
        Parsed(url: "https://API.Example.com", secure: true, host: "api.example.com", port: 443, path: "/", hostHeader: "api.example.com"),
        Parsed(url: "HTTP://user:pw@host.example:80?x=1", secure: false, host: "host.example", port: 80, path: "/?x=1", hostHeader: "host.example"),
        Parsed(url: "http://[::1]:9/x", secure: false, host: "::1", port: 9, path: "/x", hostHeader: "[::1]:9"),
        Parsed(url: "https://h:8443/p%20q", secure: true, host: "h", port: 8443, path: "/p%20q", hostHeader: "h:8443"),
    ])
    func aURLGivesItsOriginAndRequestTarget(_ expected: Parsed) throws {
        let target = try #require(RequestTarget(expected.url))
        #expect(target.secure == expected.secure)
        #expect(target.host == expected.host)
        #expect(target.port == expected.port)
        #expect(target.path == expected.path)
        #expect(target.hostHeader == expected.hostHeader)
    }

    /// Anything that could change the request line or the Host header is refused.
    @Test(arguments: [
        "ftp://h/x", "//h/x", "http://", "http://h:0/", "http://h:65536/", "http://h:8a/", "http://h x/", "http://h/a b",
        "http://h/a\r\nX-Injected: 1", "http://h/é", "http://[::1/x", "http://[::1]x/", "http://ho\u{0}st/", "http://h/\u{7F}",
        "http://h\r\n.evil/", "http\u{1A}//h/",
    ])
    func aURLThatCouldSmuggleIsRefused(_ url: String) {
        #expect(RequestTarget(url) == nil)
    }

    @Test func headerNamesCompareCaseInsensitivelyInASCIIOnly() {
        var headers = HTTPHeaders([("Content-Type", "a"), ("X-[", "b")])
        #expect(headers["content-type"] == "a")
        #expect(headers["X-{"] == nil && headers["x-["] == "b")
        headers.replaceOrAdd(name: "CONTENT-TYPE", value: "c")
        #expect(headers.entries.map(\.value) == ["b", "c"])
    }

    @Test func nothingIsSentForARefusedURLOrHeader() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            await #expect(throws: TransportError.invalidURL(server.url + "/a b")) {
                try await transport.send(HTTPRequest(method: "GET", url: server.url + "/a b"))
            }
            await #expect(throws: TransportError.invalidURL(server.url + "/x")) {
                try await transport.send(HTTPRequest(method: "GET /y HTTP/1.1\r\n", url: server.url + "/x"))
            }
            for name in ["X Bad", "X:Bad", ""] {
                let request = HTTPRequest(method: "GET", url: server.url + "/x", headers: HTTPHeaders([(name, "v")]))
                let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
                #expect(error?.description.contains("header") == true)
            }
        }
        #expect(server.requests.isEmpty)
        #expect(server.connections == 0)
    }

    /// Every connection lives on the loop of the transport's executor, whoever asked for it, and
    /// a task on that executor resumes there after each answer: a request made from it never
    /// changes threads. The wrappers a provider sends through name the same executor.
    @Test func connectionsLiveOnTheLoopOfTheTransportsExecutor() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            let executor = transport.executor
            let stayed = try await withTaskExecutorPreference(executor) {
                _ = try await transport.send(get(server.url))
                return executor.isCurrent
            }
            #expect(stayed)
            #expect(!executor.isCurrent)
            _ = try await Task.detached { try await transport.send(get(server.url)) }.value
            let origin = try #require(RequestTarget(server.url)).origin
            let channel = try #require(transport.pool.take(origin: origin))
            #expect(channel.eventLoop === executor.loop)
            transport.pool.put(channel, origin: origin)
            let wrapped: any HTTPTransport = RetryingTransport(
                base: ConcurrencyLimitedTransport(
                    base: RateLimitedTransport(base: transport, limiter: RateLimiter(limit: RateLimit(count: 10, per: .second), clock: SystemClock())),
                    limiter: ConcurrencyLimiter(limit: 2)))
            #expect(wrapped.taskExecutor as AnyObject? === executor)
        }
        #expect(server.connections == 1)
    }

    /// Connections asked for at once from off the loop (no executor preference) are opened on
    /// the executor's loop too, not on whichever loop of the group comes next.
    @Test func connectionsOpenedFromElsewhereLiveOnTheExecutorsLoop() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            try await Task.detached {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 { group.addTask { _ = try await transport.send(get(server.url)) } }
                    try await group.waitForAll()
                }
            }.value
            let origin = try #require(RequestTarget(server.url)).origin
            var pooled = [transport.pool.take(origin: origin)].compactMap { $0 }
            while let channel = transport.pool.take(origin: origin) { pooled.append(channel) }
            #expect(!pooled.isEmpty)
            #expect(pooled.allSatisfy { $0.eventLoop === transport.executor.loop })
            for channel in pooled { transport.pool.put(channel, origin: origin) }
        }
        #expect(server.requests.count == 6)
    }

    @Test func framingHeadersAreExactAndTheBodyArrivesWhole() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let body = Data(#"{"name":"ünïcode","n":1}"#.utf8)
        try await withTransport { transport in
            _ = try await transport.send(HTTPRequest(method: "GET", url: server.url + "/a?b=c"))
            _ = try await transport.send(HTTPRequest(method: "PUT", url: server.url + "/put"))
            _ = try await transport.send(HTTPRequest(method: "POST", url: server.url + "/post", body: body))
        }
        let requests = server.requests
        try #require(requests.count == 3)
        #expect(requests[0].path == "/a?b=c")
        #expect(requests[0].headers["host"] == "127.0.0.1:\(server.port)")
        #expect(requests[0].headers["content-length"] == nil && requests[0].headers["transfer-encoding"] == nil)
        #expect(requests[1].method == "PUT" && requests[1].headers["content-length"] == "0")
        #expect(requests[2].headers["content-length"] == String(body.count) && requests[2].headers["transfer-encoding"] == nil)
        #expect(requests[2].body == body)
        #expect(server.connections == 1)
    }

    /// A body of many reads (announced, and chunked without a length) arrives byte for byte.
    @Test func aLargeBodyArrivesWholeOverManyReads() async throws {
        let text = String((0..<600_000).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + stride(from: 0, to: text.utf8.count, by: 70_000).map { start -> String in
                let piece = String(text.dropFirst(start).prefix(70_000))
                return String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n"
            }.joined() + "0\r\n\r\n"
        let server = try CaptureServer { request in request.path == "/chunked" ? .raw(chunked) : CaptureServer.Reply(body: text) }
        defer { server.stop() }
        try await withTransport { transport in
            for path in ["/announced", "/chunked", "/announced"] {
                let answer = try await transport.send(get(server.url, path))
                #expect(answer.body == Data(text.utf8), "\(path)")
            }
        }
        #expect(server.connections == 1)
    }

    @Test func aChunkedAnswerIsReadWholeAndItsConnectionReused() async throws {
        let server = try CaptureServer { _ in
            .raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
        }
        defer { server.stop() }
        let all = try await answers(3, to: get(server.url))
        #expect(all.map(\.status) == [200, 200, 200])
        #expect(all.allSatisfy { String(decoding: $0.body, as: UTF8.self) == "hello, world" })
        #expect(server.connections == 1)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ])
    func anAnswerThatEndsItsConnectionIsNotReused(_ answer: String) async throws {
        let server = try CaptureServer { _ in .raw(answer, closes: true) }
        defer { server.stop() }
        #expect(try await answers(3, to: get(server.url)).map(\.body) == Array(repeating: Data("{}".utf8), count: 3))
        #expect(server.connections == 3)
    }

    /// An answer without a length ends where the server closes (HTTP/1.0 servers, Python's
    /// `http.server`): read whole, and its connection not reused.
    @Test func anAnswerEndedByTheServerClosingIsReadWhole() async throws {
        let server = try CaptureServer { _ in .raw("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"items\":[1,2]}", closes: true) }
        defer { server.stop() }
        let all = try await answers(2, to: get(server.url))
        #expect(all.map(\.status) == [200, 200])
        #expect(all.map(\.body) == Array(repeating: Data(#"{"items":[1,2]}"#.utf8), count: 2))
        #expect(server.connections == 2)
    }

    @Test func aPooledConnectionIdleTooLongIsNotReused() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        let transport = NIOHTTPTransport(idleConnectionTimeout: .zero)
        for _ in 0..<2 { _ = try await transport.send(get(server.url)) }
        await transport.shutdown()
        #expect(server.connections == 2)
    }

    /// Broken answers fail as connection failures in connsync's words; the next request gets
    /// a fresh connection.
    @Test(arguments: [
        ("garbage\r\n\r\n", "not valid HTTP"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "closed the connection"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "not valid HTTP"),
    ])
    func aBrokenAnswerFailsTheRequestAndDropsTheConnection(_ answer: String, _ reason: String) async throws {
        let server = try CaptureServer { request in
            request.path == "/good" ? CaptureServer.Reply() : .raw(answer, closes: true)
        }
        defer { server.stop() }
        try await withTransport { transport in
            let error = await #expect(throws: TransportError.self) { try await transport.send(get(server.url, "/bad")) }
            guard case .connectionFailed(_, let why) = error else {
                Issue.record("expected a connection failure, got \(String(describing: error))")
                return
            }
            #expect(why.contains(reason), "\(why)")
            let good = try await transport.send(get(server.url, "/good"))
            #expect(good.status == 200)
        }
        #expect(server.connections == 2)
    }

    /// A timeout given to the transport beyond what nanoseconds can count (the CLI's flags stop
    /// at a year, but the transport takes any `Duration`) is a deadline in the far future, not
    /// an overflow.
    @Test func aHugeTimeoutIsClampedNotOverflowed() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport(timeout: .seconds(10_000_000_000)) { transport in
            let answer = try await transport.send(get(server.url))
            #expect(answer.status == 200)
        }
    }

    /// Both from anywhere and from the transport's own executor (where apply sends from, its
    /// timers on the same loop).
    @Test(arguments: [false, true])
    func aStalledAnswerHitsTheReadIdleTimeoutBeforeTheDeadline(onTheLoop: Bool) async throws {
        let server = try CaptureServer { _ in CaptureServer.Reply(body: "{}        ", byteInterval: 2) }
        defer { server.stop() }
        let transport = NIOHTTPTransport(timeout: .seconds(60), readIdleTimeout: .milliseconds(200))
        let error = await #expect(throws: TransportError.self) {
            try await withTaskExecutorPreference(onTheLoop ? transport.executor : nil) { try await transport.send(get(server.url)) }
        }
        await transport.shutdown()
        #expect(error == .timedOut(url: server.url + wixList, after: .seconds(60)), "\(String(describing: error))")
    }

    @Test(arguments: [false, true])
    func aCancelledRequestFailsAsCancelledAndItsConnectionIsDropped(onTheLoop: Bool) async throws {
        let server = try CaptureServer { request in
            request.path == "/slow" ? CaptureServer.Reply(body: "{}        ", byteInterval: 1) : CaptureServer.Reply()
        }
        defer { server.stop() }
        try await withTransport { transport in
            let slow = Task(executorPreference: onTheLoop ? transport.executor : nil) { try await transport.send(get(server.url, "/slow")) }
            // Bounded wait for the request to arrive.
            for _ in 0..<500 where server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            try #require(server.requests.count == 1)
            slow.cancel()
            let result = await slow.result
            #expect(throws: TransportError.cancelled) { try result.get() }
            let fast = try await transport.send(get(server.url, "/fast"))
            #expect(fast.status == 200)
        }
        #expect(server.connections == 2)
    }

    /// An `https` URL speaks TLS: a plain HTTP server there fails the request as a TLS
    /// failure, and nothing of the request is sent in the clear.
    @Test func anHTTPSURLSpeaksTLS() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            let url = "https://127.0.0.1:\(server.port)/x"
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(method: "GET", url: url, headers: HTTPHeaders([("Authorization", "tls-secret")])))
            }
            #expect(error == .connectionFailed(url: url, reason: "TLS failed (check the server's certificate)"), "\(String(describing: error))")
        }
        #expect(server.requests.isEmpty)
        #expect(server.connections == 1)
    }

    /// A request cancelled while its connection is still being made (the server drops SYNs)
    /// gives up at once as never sent, instead of waiting out the connect timeout.
    @Test func aRequestCancelledWhileConnectingEndsAsNotSent() async throws {
        let listener = try FullBacklogListener()
        defer { listener.close() }
        try await withTransport(timeout: .seconds(60)) { transport in
            let url = "http://127.0.0.1:\(listener.port)/x"
            let task = Task { try await transport.send(HTTPRequest(method: "GET", url: url)) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            #expect(throws: TransportError.cancelledBeforeSending) { try result.get() }
        }
    }
}

/// A loopback listener that never accepts, its backlog filled: the kernel drops further SYNs,
/// so a connect to it stays pending (as with a server under a SYN flood).
final class FullBacklogListener {
    let port: Int
    private var descriptors: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        descriptors.append(listener)
        guard ok else { throw TestSupportError.failed("listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        // Fill the accept queue with connections nobody accepts.
        for _ in 0..<4 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            descriptors.append(filler)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        usleep(50_000)
    }

    func close() {
        for descriptor in descriptors { Glibc.close(descriptor) }
        descriptors = []
    }
}
