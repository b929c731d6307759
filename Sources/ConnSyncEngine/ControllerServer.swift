import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Checks push webhooks: GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`
/// or GitLab's `X-Gitlab-Token`, against one shared secret, in constant time.
public struct WebhookVerifier: Sendable {
    private let secret: [UInt8]

    public init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    /// `headers` with lower-cased names.
    public func isAuthentic(headers: [String: String], body: [UInt8]) -> Bool {
        if let signature = headers["x-hub-signature-256"] {
            guard signature.hasPrefix("sha256="), let mac = Self.bytes(hex: String(signature.dropFirst(7))), mac.count == 32 else {
                return false
            }
            return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret))
        }
        if let token = headers["x-gitlab-token"] {
            // Compare digests: constant time, and no length leak.
            let expected = Array(SHA256.hash(data: secret))
            let given = Array(SHA256.hash(data: Array(token.utf8)))
            var difference: UInt8 = 0
            for (a, b) in zip(expected, given) { difference |= a ^ b }
            return difference == 0
        }
        return false
    }

    static func bytes(hex: String) -> [UInt8]? {
        guard hex.count.isMultiple(of: 2) else { return nil }
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            result.append(byte)
            index = next
        }
        return result
    }
}

/// The controller's HTTP endpoints (cli.md): `POST /hooks/git`, `/healthz`, `/readyz`, `/metrics`.
public enum ControllerServer {
    /// Request bodies over this are refused with 413.
    public static let maximumBody = 1 << 20

    public static func router(controller: Controller, metrics: ControllerMetrics, verifier: WebhookVerifier?, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in
            text(.ok, "ok\n")
        }
        router.get("/readyz") { _, _ in
            await controller.isReady ? text(.ok, "ready\n") : text(.serviceUnavailable, "the first reconcile has not finished yet\n")
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.post("/hooks/git") { request, _ in
            guard let verifier else {
                return text(.notFound, "no webhook: start connsync watch with --webhook-secret-env naming a set variable\n")
            }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBody {
                return text(.contentTooLarge, "the body is larger than 1 MiB\n")
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maximumBody)
            } catch {
                return text(.contentTooLarge, "the body is larger than 1 MiB\n")
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            guard verifier.isAuthentic(headers: headers, body: Array(body.readableBytesView)) else {
                logger.warning("webhook refused: missing or bad signature")
                return text(.unauthorized, "bad or missing webhook signature\n")
            }
            await controller.trigger(.webhook)
            logger.info("webhook accepted", metadata: ["event": .string(headers["x-github-event"] ?? headers["x-gitlab-event"] ?? "push")])
            return text(.accepted, "reconcile triggered\n")
        }
        return router
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
