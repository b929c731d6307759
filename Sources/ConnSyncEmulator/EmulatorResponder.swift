import ConnSyncModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The request context, keeping the channel so a fault can drop the connection.
struct EmulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Routes every request: to the admin API, or to the vendor whose path it is
/// (latency, faults, then the vendor's auth and handler in ``EmulatorState``, then the log).
struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorContext

    let state: EmulatorState
    let held: HeldCalls
    let configuration: EmulatorConfiguration
    let connections: ConnectionCounter
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let arrivedAt = Date().timeIntervalSince1970
        var request = request
        let buffer = try await request.collectBody(upTo: 16 << 20)
        let body = Data(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let rawPath = request.uri.path
        let rawQuery = request.uri.query ?? ""
        let path = rawPath.utf8.contains(UInt8(ascii: "%")) ? (rawPath.removingPercentEncoding ?? rawPath) : rawPath
        var incoming = EmulatorRequest(
            method: request.method.rawValue, path: path, rawQuery: rawQuery, query: EmulatorRequest.parseQuery(rawQuery), headers: headers,
            body: body)

        if incoming.path.hasPrefix("/_emulator") {
            return Self.response(await admin(incoming))
        }
        guard let (vendor, operation) = Self.route(&incoming) else {
            return Self.response(.json(404, ["code": 404, "message": .string("no vendor API at \(incoming.path)")]))
        }
        if configuration.latency > .zero {
            try? await Task.sleep(for: configuration.latency)
        }
        var result: EmulatorResponse
        if let fault = await state.takeFault(vendor: vendor.name, method: incoming.method, path: incoming.path) {
            switch fault.action {
            case .drop:
                result = EmulatorResponse(status: 0, contentType: nil, body: Data(), drop: true)
            case .delay:
                try? await Task.sleep(for: .milliseconds(fault.delayMilliseconds))
                result = await state.serve(vendor, operation: operation, request: incoming)
            case .hold:
                await held.hold(upTo: fault.delayMilliseconds > 0 ? .milliseconds(fault.delayMilliseconds) : HeldCalls.defaultLimit)
                result = await state.serve(vendor, operation: operation, request: incoming)
            case .status:
                result =
                    fault.body.map { .json(fault.status, $0) }
                    ?? vendor.faultResponse(status: fault.status, message: "injected fault: HTTP \(fault.status)")
                if let retryAfter = fault.retryAfter { result.headers.append(("Retry-After", retryAfter)) }
            }
        } else {
            result = await state.serve(vendor, operation: operation, request: incoming)
        }
        let elapsed = started.duration(to: .now)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        await state.record(
            LoggedRequest(
                sequence: 0, vendor: vendor.name, method: incoming.method, path: incoming.path, query: rawQuery,
                status: result.drop ? 0 : result.status, durationMilliseconds: milliseconds, arrivedAt: arrivedAt, body: incoming.json,
                headers: incoming.headers.filter { !EmulatedVendors.credentialHeaders.contains($0.key) }))
        if result.drop {
            // Close the connection without answering.
            try? await context.channel.close()
            throw EmulatorError(description: "connection dropped by an injected fault")
        }
        return Self.response(result)
    }

    /// The first vendor (in the order of ``EmulatedVendors/all``) that claims the path, and its operation.
    static func route(_ request: inout EmulatorRequest) -> (any VendorEmulation.Type, String)? {
        for vendor in EmulatedVendors.all {
            if let operation = vendor.route(&request) { return (vendor, operation) }
        }
        return nil
    }

    static func response(_ result: EmulatorResponse) -> Response {
        var headers = HTTPFields()
        if let contentType = result.contentType { headers[.contentType] = contentType }
        for (name, value) in result.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: result.status)
        if result.body.isEmpty {
            return Response(status: status, headers: headers, body: .init())
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: result.body)))
    }
}
