import ConnSyncModel
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

/// The webhook deliveries seen within the last hour (cli.md v1.1): a repeated delivery id
/// answers 200 `duplicate` and triggers nothing. Bounded: the oldest ids go first.
public actor DeliveryLog {
    public static let window: Duration = .seconds(3600)
    public static let capacity = 10_000

    private let clock: any ConnSyncClock
    private var seen: [String: ContinuousClock.Instant] = [:]
    private var order: [(String, ContinuousClock.Instant)] = []

    public init(clock: any ConnSyncClock) {
        self.clock = clock
    }

    /// Records `id`; true when it was already seen within the window.
    public func isRepeat(_ id: String) -> Bool {
        let now = clock.now()
        while let (oldest, at) = order.first, at.duration(to: now) > Self.window || order.count >= Self.capacity {
            order.removeFirst()
            if seen[oldest] == at { seen[oldest] = nil }
        }
        if let at = seen[id], at.duration(to: now) <= Self.window { return true }
        seen[id] = now
        order.append((id, now))
        return false
    }
}

/// The controller's HTTP endpoints (cli.md): `POST /hooks/git`, `/healthz`, `/readyz`, `/metrics`.
public enum ControllerServer {
    /// Request bodies over this are refused with 413.
    public static let maximumBody = 1 << 20

    public static func router(
        controller: Controller, metrics: ControllerMetrics, verifier: WebhookVerifier?, deliveries: DeliveryLog, logger: Logger
    ) -> Router<BasicRequestContext> {
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
            // A signed delivery replayed within the hour triggers nothing.
            if let id = headers["x-github-delivery"] ?? headers["x-gitlab-event-uuid"], await deliveries.isRepeat(id) {
                logger.warning("webhook ignored: duplicate delivery", metadata: ["delivery": .string(String(id.prefix(80)))])
                return text(.ok, "duplicate delivery: nothing triggered\n")
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
