import Foundation

/// A loopback HTTP listener that records every request it receives (whether any arrived,
/// and with which headers) and answers what the test scripts: the "attacker" of the trust
/// tests, a redirecting or tarpitting vendor. Plain POSIX sockets on a thread: no
/// dependency on the code under test.
public final class CaptureServer: @unchecked Sendable {
    /// One request as it arrived.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: Data
    }

    /// What to answer: status, headers, body, and how fast to send the body.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data
        /// Seconds between body bytes (a tarpit); 0 sends it at once.
        public var byteInterval: Double
        /// Sent verbatim instead of a well-formed answer (a broken or hostile server).
        public var raw: Data?
        /// Closes the connection once the answer is sent.
        public var closes = false

        public init(status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: String = "{}", byteInterval: Double = 0) {
            self.status = status
            self.headers = headers
            self.body = Data(body.utf8)
            self.byteInterval = byteInterval
        }

        /// `text` sent as it is, then the connection closed if `closes`.
        public static func raw(_ text: String, closes: Bool = false) -> Reply {
            var reply = Reply()
            reply.raw = Data(text.utf8)
            reply.closes = closes
            return reply
        }
    }

    public let port: Int
    private let socket: Int32
    private let lock = NSLock()
    private var received: [Request] = []
    private var accepted = 0
    private var stopped = false
    private let reply: @Sendable (Request) -> Reply
    private let earlyAnswer: Data?

    /// `earlyAnswer`: sent verbatim as soon as a request's head has arrived, after which the
    /// connection is never read again (a server refusing a body it will not take).
    public init(earlyAnswer: String? = nil, reply: @escaping @Sendable (Request) -> Reply = { _ in Reply() }) throws {
        self.reply = reply
        self.earlyAnswer = earlyAnswer.map { Data($0.utf8) }
        let descriptor = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError.failed("socket()") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else { throw TestSupportError.failed("bind/listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        socket = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far.
    public var connections: Int {
        lock.withLock { accepted }
    }

    /// Every request received so far.
    public var requests: [Request] {
        lock.withLock { received }
    }

    /// Stops accepting. The listening socket is closed by the accept thread itself once it
    /// wakes, never twice: a descriptor closed twice may by then belong to someone else.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        if first { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    deinit { stop() }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        defer { close(socket) }
        while !isStopped {
            let client = accept(socket, nil, nil)
            if client < 0, errno == EINTR { continue }
            guard client >= 0 else { return }
            lock.withLock { accepted += 1 }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !isStopped {
            // A TLS hello (record type 22) gets what a plain HTTP server answers it.
            if buffer.first == 0x16 {
                _ = send(client, Data("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                return
            }
            if let earlyAnswer, buffer.range(of: Data("\r\n\r\n".utf8)) != nil {
                guard send(client, earlyAnswer) else { return }
                while !isStopped { Thread.sleep(forTimeInterval: 0.01) }
                return
            }
            guard let request = parse(&buffer) else {
                let count = read(client, &chunk, chunk.count)
                guard count > 0 else { return }
                buffer.append(contentsOf: chunk[0..<count])
                continue
            }
            lock.withLock { received.append(request) }
            let answer = reply(request)
            if let raw = answer.raw {
                guard send(client, raw), !answer.closes else { return }
                continue
            }
            var head = "HTTP/1.1 \(answer.status) Status\r\n"
            for (name, value) in answer.headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(answer.body.count)\r\n\r\n"
            guard send(client, Data(head.utf8)) else { return }
            if answer.byteInterval > 0 {
                for byte in answer.body {
                    guard !isStopped, send(client, Data([byte])) else { return }
                    Thread.sleep(forTimeInterval: answer.byteInterval)
                }
            } else if !send(client, answer.body) {
                return
            }
            if answer.closes { return }
        }
    }

    private func send(_ client: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    /// One complete request from the front of `buffer`, removed from it.
    private func parse(_ buffer: inout Data) -> Request? {
        guard let end = buffer.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard buffer.count - (end.upperBound - buffer.startIndex) >= length else { return nil }
        let body = buffer[end.upperBound..<(end.upperBound + length)]
        let request = Request(
            method: requestLine.first.map(String.init) ?? "", path: requestLine.count > 1 ? String(requestLine[1]) : "",
            headers: headers, body: Data(body))
        buffer = Data(buffer[(end.upperBound + length)...])
        return request
    }
}
