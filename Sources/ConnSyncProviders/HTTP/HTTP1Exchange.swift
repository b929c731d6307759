import Foundation
import NIOCore
import NIOHTTP1
import NIOTLS

/// One request on a pooled connection, and where its answer goes.
struct HTTP1Exchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    /// For errors: the URL as the caller gave it (shown only through `URLDisplay`).
    var url: String
    var timeout: Duration
    var deadline: NIODeadline
    /// The longest wait for the next bytes of the answer.
    var readIdle: TimeAmount
    var maximumBodySize: Int
    var promise: EventLoopPromise<HTTP1Answer>
}

/// An answer, and whether its connection may carry the next request.
struct HTTP1Answer: Sendable {
    var response: HTTPResponse
    var reusable: Bool
}

/// Sent down a channel to give up the request on it (the task was cancelled).
struct HTTP1Cancel: Sendable {}

/// The last handler of a pooled HTTP/1.1 connection: one exchange at a time. The request goes
/// out in one flush (head, body and end in one `writev`); the answer is gathered on the event
/// loop up to the exchange's body limit. One timer per exchange covers both the whole-request
/// deadline and the read-idle timeout. Whatever goes wrong fails the exchange with a
/// ``TransportError`` and closes the connection, so a broken connection never carries another
/// request.
final class HTTP1ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTP1Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private enum State {
        case idle
        case waiting(HTTP1Exchange)
        case receiving(HTTP1Exchange, HTTPResponseHead)
        case closed
    }

    private var state = State.idle
    /// The answer's body so far. Not in `state`: the switch over the state would hold a second
    /// reference to it, and every part appended would copy the whole body (measured: 50,000
    /// objects' list pages took 10% more CPU to plan than with AsyncHTTPClient).
    private var body = ByteBuffer()
    private var timer: Scheduled<Void>?
    private var lastRead = NIODeadline.now()
    /// Whether the exchange's request has been written whole. An answer that comes before (a
    /// server refusing a large body early) leaves the rest of the body in flight, and the
    /// server could read it as the next request: that connection is not reused.
    private var requestWritten = false
    /// Maps a channel error to words that hold nothing of the request.
    private let reason: @Sendable (any Error) -> String

    /// Completed once TLS is up (only for `https`): no request is written before. One per
    /// channel (each connection attempt has its own), always completed: by the handshake, or
    /// failed when the channel closes or the handler goes.
    private let tlsReady: EventLoopPromise<Void>?

    init(reason: @escaping @Sendable (any Error) -> String, tlsReady: EventLoopPromise<Void>? = nil) {
        self.reason = reason
        self.tlsReady = tlsReady
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tlsReady?.fail(ChannelError.ioOnClosedChannel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            tlsReady?.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard case .idle = state else {
            let why = if case .closed = state { "the server closed the connection" } else { "the connection is busy" }
            exchange.promise.fail(TransportError.connectionFailed(url: exchange.url, reason: why))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        state = .waiting(exchange)
        requestWritten = false
        lastRead = .now()
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if let promise { written.futureResult.cascade(to: promise) }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success: handler.requestWritten = true
            case .failure(let error): handler.fail(context, with: error)
            }
        }
        schedule(context, at: min(exchange.deadline, lastRead + exchange.readIdle))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .waiting(let exchange)):
            // An answer to HEAD, a 1xx, 204 or 304 has no body whatever its Content-Length says.
            let bodiless = exchange.head.method == .HEAD || head.status.code < 200 || head.status.code == 204 || head.status.code == 304
            let announced = bodiless ? nil : head.headers.first(name: "content-length").flatMap { Int($0) }
            if let announced, announced > exchange.maximumBodySize {
                finish(context, .failure(TransportError.bodyTooLarge(url: exchange.url, limit: exchange.maximumBodySize)))
                return
            }
            state = .receiving(exchange, head)
            // Room for the announced body at once, up to 4 MiB (a larger one grows as it comes).
            body = context.channel.allocator.buffer(capacity: min(max(0, announced ?? 0), 4 << 20))
        case (.body(var part), .receiving(let exchange, _)):
            guard body.readableBytes + part.readableBytes <= exchange.maximumBodySize else {
                finish(context, .failure(TransportError.bodyTooLarge(url: exchange.url, limit: exchange.maximumBodySize)))
                return
            }
            body.writeBuffer(&part)
        case (.end, .receiving(_, let head)):
            var headers = HTTPHeaders()
            for (name, value) in head.headers { headers.add(name: name, value: value) }
            let response = HTTPResponse(status: Int(head.status.code), headers: headers, body: Data(body.readableBytesView))
            // After a protocol switch (101) the bytes that follow are not HTTP; after an early
            // answer the request's body is still in flight.
            let reusable = head.isKeepAlive && head.status.code >= 200 && requestWritten
            finish(context, .success(HTTP1Answer(response: response, reusable: reusable)))
        default:
            // An answer nobody asked for, or parts out of order: the connection cannot be trusted.
            fail(context, reason: "the server sent an answer out of turn")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        tlsReady?.fail(ChannelError.eof)
        if case .closed = state {} else { fail(context, reason: "the server closed the connection") }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tlsReady, case .idle = state {
            // Before any request: the handshake failed.
            tlsReady.fail(error)
            close(context)
            return
        }
        fail(context, with: error)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is HTTP1Cancel else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        finish(context, .failure(TransportError.cancelled))
        promise?.succeed()
    }

    private func fail(_ context: ChannelHandlerContext, with error: any Error) {
        switch error {
        case HTTPParserError.invalidEOFState: fail(context, reason: "the server closed the connection before its answer ended")
        case is HTTPParserError: fail(context, reason: "the server's answer is not valid HTTP")
        default: fail(context, reason: reason(error))
        }
    }

    private func fail(_ context: ChannelHandlerContext, reason: String) {
        let url: String
        switch state {
        case .waiting(let exchange), .receiving(let exchange, _): url = exchange.url
        case .idle, .closed:
            close(context)
            return
        }
        finish(context, .failure(TransportError.connectionFailed(url: url, reason: reason)))
    }

    /// Ends the exchange in flight, if any; a failure, or an answer that ends the connection,
    /// closes it.
    private func finish(_ context: ChannelHandlerContext, _ result: Result<HTTP1Answer, TransportError>) {
        let exchange: HTTP1Exchange
        switch state {
        case .waiting(let current), .receiving(let current, _): exchange = current
        case .idle, .closed: return
        }
        timer?.cancel()
        timer = nil
        body = ByteBuffer()
        switch result {
        // The exchange is answered before its connection closes: closing fails a write still
        // pending (an answer before the body went out), and with it the exchange.
        case .success(let answer):
            state = answer.reusable ? .idle : .closed
            exchange.promise.succeed(answer)
            if !answer.reusable { context.close(promise: nil) }
        case .failure(let error):
            exchange.promise.fail(error)
            close(context)
        }
    }

    private func close(_ context: ChannelHandlerContext) {
        state = .closed
        timer?.cancel()
        timer = nil
        context.close(promise: nil)
    }

    /// One timer per exchange: at the deadline, or when no byte came for the read-idle time.
    private func schedule(_ context: ChannelHandlerContext, at time: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: time) {
            let (handler, context) = loopBound.value
            handler.timerFired(context)
        }
    }

    private func timerFired(_ context: ChannelHandlerContext) {
        let exchange: HTTP1Exchange
        switch state {
        case .waiting(let current), .receiving(let current, _): exchange = current
        case .idle, .closed: return
        }
        let now = NIODeadline.now()
        let idleEnd = lastRead + exchange.readIdle
        if now >= exchange.deadline || now >= idleEnd {
            finish(context, .failure(TransportError.timedOut(url: exchange.url, after: exchange.timeout)))
        } else {
            schedule(context, at: min(exchange.deadline, idleEnd))
        }
    }
}
