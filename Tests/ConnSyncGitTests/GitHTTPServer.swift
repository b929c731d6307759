import ConnSyncProcess
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TestSupport

/// Serves the bare repositories under `root` over smart HTTP on loopback: each request runs
/// `git http-backend` as CGI (the test's git, not connsync's). With `password`, requests need
/// HTTP Basic auth (any user).
final class GitHTTPServer: @unchecked Sendable {
    let root: String
    let password: String?
    private var task: Task<Void, any Error>?
    private var group: ServiceGroup?
    private(set) var port = 0

    init(root: String, password: String?) {
        self.root = root
        self.password = password
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        let root = self.root
        let password = self.password
        let router = Router()
        router.on("**", method: .get) { request, _ in try await Self.cgi(request, root: root, password: password) }
        router.on("**", method: .post) { request, _ in try await Self.cgi(request, root: root, password: password) }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            })
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: app.logger))
        self.group = group
        task = Task { try await group.run() }
        for await bound in stream {
            port = bound
            break
        }
    }

    func stop() async {
        await group?.triggerGracefulShutdown()
        _ = await task?.result
    }

    static func cgi(_ request: Request, root: String, password: String?) async throws -> Response {
        if let password {
            let header = request.headers[.authorization] ?? ""
            let expected = "Basic " + Data("any:\(password)".utf8).base64EncodedString()
            let decoded = header.hasPrefix("Basic ") ? Data(base64Encoded: String(header.dropFirst(6))).map { String(decoding: $0, as: UTF8.self) } : nil
            guard let decoded, decoded.hasSuffix(":\(password)") || header == expected else {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Basic realm=\"git\""
                return Response(status: .unauthorized, headers: headers)
            }
        }
        var request = request
        let body = try await request.collectBody(upTo: 64 << 20)
        let environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": request.uri.path, "QUERY_STRING": request.uri.query ?? "",
            "REQUEST_METHOD": request.method.rawValue, "CONTENT_TYPE": request.headers[.contentType] ?? "",
            "CONTENT_LENGTH": String(body.readableBytes), "REMOTE_USER": "tester", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_GIT_PROTOCOL": request.headers[HTTPField.Name("Git-Protocol")!] ?? "",
        ]
        let child = try ChildProcess.spawn("/usr/lib/git-core/git-http-backend", [], environment: environment, writesInput: true)
        let errors = PipeReader(child.errors, limit: 64 << 10)
        let writer = Task.detached {
            child.input?.write(Data(body.readableBytesView))
            try? child.input?.close()
        }
        let data = try await Task.detached { readToEnd(child.output) }.value
        await writer.value
        _ = errors.wait()
        _ = child.wait()
        // CGI: headers, a blank line, the body.
        let separator = data.range(of: Data("\r\n\r\n".utf8)) ?? data.range(of: Data("\n\n".utf8))
        guard let separator else { return Response(status: .internalServerError) }
        let head = String(decoding: data[..<separator.lowerBound], as: UTF8.self)
        var status = HTTPResponse.Status.ok
        var headers = HTTPFields()
        for line in head.split(whereSeparator: \.isNewline) where !line.isEmpty {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0].lowercased() == "status", let code = Int(parts[1].prefix(3)) {
                status = HTTPResponse.Status(code: code)
            } else if let name = HTTPField.Name(parts[0]) {
                headers[name] = parts[1]
            }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data[separator.upperBound...])))
    }
}
