import ConnSyncModel
@testable import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// Answers that could leave a pooled connection out of step with its requests, and failures
// before any request is written.

@Suite("HTTP/1.1 client hazards")
struct HTTP1HazardTests {
    /// A server that answers before it has read a large body (401, 413) leaves the rest of the
    /// body in flight: that connection must not carry the next request, which would otherwise
    /// wait for an answer that never comes (or get one meant for the body's bytes).
    @Test func anAnswerBeforeTheBodyIsWrittenDoesNotReuseTheConnection() async throws {
        let server = try CaptureServer(earlyAnswer: "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n")
        defer { server.stop() }
        try await withTransport { transport in
            // Larger than the loopback socket buffers of both ends together.
            let body = Data(repeating: UInt8(ascii: "x"), count: 48 << 20)
            let refused = try await transport.send(HTTPRequest(method: "PUT", url: server.url + "/big", body: body))
            #expect(refused.status == 413)
            let next = try await transport.send(get(server.url, "/next"))
            #expect(next.status == 413)
        }
        #expect(server.connections == 2)
    }

    /// After `101 Switching Protocols` the bytes that follow are not HTTP: the connection is
    /// not pooled, and the next request gets an answer on a fresh one.
    @Test func aProtocolSwitchIsNotReused() async throws {
        let server = try CaptureServer { _ in
            .raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nnot http at all\r\n\r\n")
        }
        defer { server.stop() }
        #expect(try await answers(2, to: get(server.url)).map(\.status) == [101, 101])
        #expect(server.connections == 2)
    }

    /// An answer without a body (to HEAD, 204, 304) is not measured by its Content-Length.
    @Test(arguments: [("HEAD", 200), ("GET", 204), ("GET", 304)])
    func aBodilessAnswerIsNotRefusedForItsAnnouncedLength(_ method: String, _ status: Int) async throws {
        let server = try CaptureServer { _ in .raw("HTTP/1.1 \(status) Status\r\nContent-Length: 5000\r\n\r\n") }
        defer { server.stop() }
        let all = try await answers(2, to: HTTPRequest(method: method, url: server.url + "/x", maximumBodySize: 100))
        #expect(all.map(\.status) == [status, status])
        #expect(all.allSatisfy { $0.body.isEmpty })
        #expect(server.connections == 1)
    }

    /// An `https` request to a port nobody listens on fails as a connection failure (in a debug
    /// build, a TLS promise left uncompleted would stop the process here).
    @Test func anHTTPSRequestToAClosedPortFailsCleanly() async throws {
        let server = try CaptureServer()
        let port = server.port
        server.stop()
        try await Task.sleep(for: .milliseconds(50))
        try await withTransport { transport in
            let url = "https://127.0.0.1:\(port)/x"
            for _ in 0..<2 {
                let error = await #expect(throws: TransportError.self) { try await transport.send(HTTPRequest(method: "GET", url: url)) }
                #expect(error == .connectionFailed(url: url, reason: "connection refused"), "\(String(describing: error))")
            }
        }
    }

    /// What is logged of a URL: no user info, no query, and never a control character (escaped).
    @Test(arguments: [
        ("https://user:pw@h.example/x?token=s3cr3t#f", "https://h.example/x"),
        ("http://127.0.0.1:9/a/b?c=d", "http://127.0.0.1:9/a/b"),
        ("http://h/a\u{1B}[2Jb", "http://h/a%1B%5B2Jb"),
        ("http://h/a\r\nX: y", "http://h/a%0D%0AX:%20y"),
    ])
    func aURLIsShownWithoutSecretsOrControlCharacters(_ url: String, _ shown: String) {
        #expect(URLDisplay.redacted(url) == shown)
    }
}
