import ConnSyncModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Credentials the emulator accepts, per vendor. A vendor with none configured accepts
/// any well-formed header of its scheme (lerian-reporter: no auth at all).
public struct EmulatorCredentials: Sendable, Hashable {
    public var wiremockToken: String?
    public var reporterToken: String?
    public var credibleToken: String?
    public var dataforUser: String?
    public var dataforPassword: String?
    public var wixToken: String?

    public init(
        wiremockToken: String? = nil, reporterToken: String? = nil, credibleToken: String? = nil, dataforUser: String? = nil,
        dataforPassword: String? = nil, wixToken: String? = nil
    ) {
        self.wiremockToken = wiremockToken
        self.reporterToken = reporterToken
        self.credibleToken = credibleToken
        self.dataforUser = dataforUser
        self.dataforPassword = dataforPassword
        self.wixToken = wixToken
    }

    /// `CONNSYNC_EMULATOR_WIREMOCK_TOKEN`, `_REPORTER_TOKEN`, `_CREDIBLE_TOKEN`, `_DATAFOR_USER`,
    /// `_DATAFOR_PASSWORD`, `_WIX_TOKEN`.
    public static func fromEnvironment(_ environment: [String: String]) -> EmulatorCredentials {
        func value(_ name: String) -> String? {
            environment["CONNSYNC_EMULATOR_\(name)"].flatMap { $0.isEmpty ? nil : $0 }
        }
        return EmulatorCredentials(
            wiremockToken: value("WIREMOCK_TOKEN"), reporterToken: value("REPORTER_TOKEN"), credibleToken: value("CREDIBLE_TOKEN"),
            dataforUser: value("DATAFOR_USER"), dataforPassword: value("DATAFOR_PASSWORD"), wixToken: value("WIX_TOKEN"))
    }
}

public struct EmulatorConfiguration: Sendable {
    public var host: String
    /// 0 = any free port.
    public var port: Int
    /// Added before every vendor answer (not admin calls).
    public var latency: Duration
    public var credentials: EmulatorCredentials
    /// `--data FILE`: loaded at start when it exists, written after every change.
    public var dataFile: String?
    /// wix-data's published limit (200/m per site), enforced only when set.
    public var wixRateLimit: RateLimit?

    public init(
        host: String = "127.0.0.1", port: Int = 0, latency: Duration = .zero, credentials: EmulatorCredentials = EmulatorCredentials(),
        dataFile: String? = nil, wixRateLimit: RateLimit? = nil
    ) {
        self.host = host
        self.port = port
        self.latency = latency
        self.credentials = credentials
        self.dataFile = dataFile
        self.wixRateLimit = wixRateLimit
    }
}

public struct EmulatorError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The five vendor APIs over real HTTP (Hummingbird) on loopback, for demos,
/// tests and benchmarks, plus an admin API under `/_emulator` (see README.md).
public final class Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    let state: EmulatorState
    let logger: Logger
    let connections = ConnectionCounter()
    private let running = RunningServer()

    public init(configuration: EmulatorConfiguration, logger: Logger = Logger(label: "connsync.emulator")) {
        self.configuration = configuration
        self.logger = logger
        state = EmulatorState(dataFile: configuration.dataFile, wixRateLimit: configuration.wixRateLimit)
    }

    /// Starts listening and returns the bound port (the real one when 0 was asked).
    public func start() async throws -> Int {
        do {
            try await state.load()
        } catch {
            throw EmulatorError(description: error.message)
        }
        let responder = EmulatorResponder(state: state, configuration: configuration, connections: connections, logger: logger)
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 1024,
                availableConnectionsDelegate: ConnectionCounterDelegate(counter: connections)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                continuation.finish()
                throw error
            }
        }
        var port: Int?
        for await bound in stream {
            port = bound
            break
        }
        guard let port, port > 0 else {
            let failure = await task.result
            if case .failure(let error) = failure {
                throw EmulatorError(description: "cannot listen on \(configuration.host):\(configuration.port): \(error)")
            }
            throw EmulatorError(description: "cannot listen on \(configuration.host):\(configuration.port)")
        }
        await running.set(task: task, group: group, port: port)
        return port
    }

    /// `http://127.0.0.1:PORT` once started.
    public var baseURL: String {
        get async { "http://\(configuration.host):\(await running.port)" }
    }

    /// Stops listening and waits for the server to finish.
    public func stop() async {
        guard let (task, group) = await running.take() else { return }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    // MARK: in-process admin (the same operations as the /_emulator API)

    /// Adds objects in each vendor's own shape: `{"wiremock-cloud": [...], "lerian-reporter": [...], ...}`.
    public func seed(_ data: Value) async throws {
        do { try await state.seed(data) } catch { throw EmulatorError(description: error.message) }
    }

    /// Every stored object per vendor, write-only fields included (test-only view).
    public func snapshot() async -> Value {
        await state.snapshot()
    }

    /// The request log (method, path, query, status, body; never auth headers).
    public func requestLog() async -> [Value] {
        await state.requestLog()
    }

    public func clearRequestLog() async {
        await state.clearLog()
    }

    /// Arms a fault (see README.md); returns its id.
    @discardableResult
    public func addFault(_ spec: Value) async throws -> Int {
        do { return try await state.addFault(spec) } catch { throw EmulatorError(description: error.message) }
    }

    /// Makes the next `calls` PATCH/DELETE of a lerian-reporter connection answer 409 FET-1021.
    public func setLerianJob(id: String, calls: Int?) async {
        await state.setJob(id: id, calls: calls)
    }

    public func reset() async {
        await state.reset()
    }

    /// TCP connections accepted so far, and open now (keep-alive checks, the benchmark).
    public var connectionCounts: (opened: Int, open: Int) {
        connections.counts
    }
}

/// Counts the TCP connections the server accepts.
final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = 0
    private var open = 0

    func connectionOpened() {
        lock.withLock {
            opened += 1
            open += 1
        }
    }

    func connectionClosed() {
        lock.withLock { open -= 1 }
    }

    var counts: (opened: Int, open: Int) {
        lock.withLock { (opened, open) }
    }
}

struct ConnectionCounterDelegate: AvailableConnectionsDelegate {
    let counter: ConnectionCounter

    mutating func connectionOpened() { counter.connectionOpened() }
    mutating func connectionClosed() { counter.connectionClosed() }
    func isAcceptingNewConnections() -> Bool { true }
}

actor RunningServer {
    var task: Task<Void, any Error>?
    var group: ServiceGroup?
    var port = 0

    func set(task: Task<Void, any Error>, group: ServiceGroup, port: Int) {
        self.task = task
        self.group = group
        self.port = port
    }

    func take() -> (Task<Void, any Error>, ServiceGroup)? {
        defer {
            task = nil
            group = nil
        }
        guard let task, let group else { return nil }
        return (task, group)
    }
}

/// Routes every request: admin, or one of the five vendors (latency, faults, auth, log).
/// The request context, keeping the channel so a fault can drop the connection.
struct EmulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorContext

    let state: EmulatorState
    let configuration: EmulatorConfiguration
    let connections: ConnectionCounter
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
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
        guard let (vendor, operation) = route(&incoming) else {
            return Self.response(.json(404, ["code": 404, "message": .string("no vendor API at \(incoming.path)")]))
        }
        if configuration.latency > .zero {
            try? await Task.sleep(for: configuration.latency)
        }
        var result: EmulatorResponse
        if let fault = await state.takeFault(vendor: vendor, method: incoming.method, path: incoming.path) {
            switch fault.action {
            case .drop:
                result = EmulatorResponse(status: 0, contentType: nil, body: Data(), drop: true)
            case .delay:
                try? await Task.sleep(for: .milliseconds(fault.delayMilliseconds))
                result = await handle(vendor: vendor, operation: operation, request: incoming)
            case .status:
                result = fault.body.map { .json(fault.status, $0) } ?? Self.defaultFaultBody(vendor: vendor, status: fault.status)
                if let retryAfter = fault.retryAfter { result.headers.append(("Retry-After", retryAfter)) }
            }
        } else {
            result = await handle(vendor: vendor, operation: operation, request: incoming)
        }
        let elapsed = started.duration(to: .now)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        await state.record(
            LoggedRequest(
                sequence: 0, vendor: vendor.rawValue, method: incoming.method, path: incoming.path, query: rawQuery,
                status: result.drop ? 0 : result.status, durationMilliseconds: milliseconds, body: incoming.json,
                headers: incoming.headers.filter { $0.key != "authorization" && $0.key != "proxy-authorization" }))
        if result.drop {
            // Close the connection without answering.
            try? await context.channel.close()
            throw EmulatorError(description: "connection dropped by an injected fault")
        }
        return Self.response(result)
    }

    /// Which vendor a path belongs to, stripping datafor's web-app prefix.
    func route(_ request: inout EmulatorRequest) -> (EmulatedVendor, String)? {
        let path = request.path
        // datafor is served below any web-app prefix (Foundation's search: the generic
        // `firstRange(of:)` showed in profiles).
        if let range = path.range(of: Datafor.prefix) {
            let operation = String(path[range.upperBound...])
            request.path = Datafor.prefix + operation
            return (.datafor, operation)
        }
        if path.hasPrefix("/v1/management/connections") { return (.lerianReporter, "") }
        if path.hasPrefix("/v1/users/") || path.hasPrefix("/v1/database-connections") { return (.wiremockCloud, "") }
        if path.hasPrefix("/api/v0/") { return (.credibleData, "") }
        if path.hasPrefix("/wix-data/") { return (.wixData, "") }
        return nil
    }

    func handle(vendor: EmulatedVendor, operation: String, request: EmulatorRequest) async -> EmulatorResponse {
        if let denied = await authenticate(vendor: vendor, request: request) { return denied }
        switch vendor {
        case .wiremockCloud: return await state.handleWireMock(request)
        case .lerianReporter: return await state.handleLerian(request)
        case .credibleData: return await state.handleCredible(request)
        case .datafor: return await state.handleDatafor(request, operation: operation)
        case .wixData: return await state.handleWix(request)
        }
    }

    /// The vendor's 401 when the Authorization header is missing, of the wrong scheme, or wrong.
    func authenticate(vendor: EmulatedVendor, request: EmulatorRequest) async -> EmulatorResponse? {
        let header = request.headers["authorization"] ?? ""
        let credentials = configuration.credentials
        func scheme(_ prefix: String, expected: String?) -> Bool {
            guard header.hasPrefix(prefix) else { return false }
            let token = String(header.dropFirst(prefix.count))
            guard !token.trimmingCharacters(in: .whitespaces).isEmpty else { return false }
            return expected.map { Self.constantTimeEqual(token, $0) } ?? true
        }
        switch vendor {
        case .wiremockCloud:
            return scheme("Token ", expected: credentials.wiremockToken) ? nil : WireMockCloud.unauthorized
        case .lerianReporter:
            guard let token = credentials.reporterToken else { return nil }
            return scheme("Bearer ", expected: token) ? nil : LerianReporter.unauthorized
        case .credibleData:
            return scheme("Bearer ", expected: credentials.credibleToken) ? nil : CredibleData.error(401, "Unauthorized: a valid Bearer token is required")
        case .datafor:
            guard header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))),
                let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
            else { return Datafor.unauthorized }
            let user = String(pair[..<colon])
            let password = String(pair[pair.index(after: colon)...])
            if let expectedUser = credentials.dataforUser, !Self.constantTimeEqual(user, expectedUser) { return Datafor.unauthorized }
            if let expectedPassword = credentials.dataforPassword, !Self.constantTimeEqual(password, expectedPassword) {
                return Datafor.unauthorized
            }
            return user.isEmpty ? Datafor.unauthorized : nil
        case .wixData:
            let token = header.trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { return WixData.unauthorized }
            if let expected = credentials.wixToken, !Self.constantTimeEqual(token, expected) { return WixData.unauthorized }
            if await state.wixLimited(token: token) { return WixData.tooManyRequests }
            return nil
        }
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// A fault's answer in the vendor's own error envelope.
    static func defaultFaultBody(vendor: EmulatedVendor, status: Int) -> EmulatorResponse {
        let message = "injected fault: HTTP \(status)"
        switch vendor {
        case .wiremockCloud:
            return status == 404 ? WireMockCloud.notFound : WireMockCloud.errors(status, message)
        case .lerianReporter:
            switch status {
            case 409: return LerianReporter.jobInProgress
            case 503: return LerianReporter.error(503, "FET-0003", "Service Unavailable", message)
            case 500...: return LerianReporter.error(status, "FET-0002", "Internal Server Error", message)
            default: return LerianReporter.error(status, "FET-0001", "Error", message)
            }
        case .credibleData:
            return CredibleData.error(status, message)
        case .datafor:
            return status == 200 ? Datafor.failure("CONNECTION_WRITE_FORBIDDEN: \(message)") : .json(status, ["success": false, "code": .string(String(status)), "msg": .string(message)])
        case .wixData:
            return WixData.applicationError(status, status == 429 ? "RATE_LIMIT_EXCEEDED" : "INJECTED_FAULT", message)
        }
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

    // MARK: admin

    func admin(_ request: EmulatorRequest) async -> EmulatorResponse {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/_emulator/requests"):
            return .json(200, ["requests": .array(await state.requestLog())])
        case ("DELETE", "/_emulator/requests"):
            await state.clearLog()
            return .json(200, ["cleared": true])
        case ("POST", "/_emulator/faults"):
            guard let spec = request.json else { return .json(400, ["error": "the body must be a JSON fault"]) }
            do {
                let id = try await state.addFault(spec)
                return .json(201, ["id": .int(id)])
            } catch {
                return .json(400, ["error": .string(error.message)])
            }
        case ("GET", "/_emulator/faults"):
            return .json(200, ["faults": .array(await state.armedFaults())])
        case ("DELETE", "/_emulator/faults"):
            await state.clearFaults()
            return .json(200, ["cleared": true])
        case ("POST", "/_emulator/reset"):
            await state.reset()
            return .json(200, ["reset": true])
        case ("GET", "/_emulator/state"):
            return .json(200, await state.snapshot())
        case ("POST", "/_emulator/seed"):
            guard let data = request.json else { return .json(400, ["error": "the body must be JSON"]) }
            do {
                try await state.seed(data)
                return .json(200, ["seeded": true])
            } catch {
                return .json(400, ["error": .string(error.message)])
            }
        case ("POST", "/_emulator/lerian/jobs"):
            guard let spec = request.json, let id = spec["id"]?.stringValue else {
                return .json(400, ["error": "the body must be {\"id\": \"<connection id>\", \"calls\": N} or {\"id\": ..., \"active\": false}"])
            }
            let calls = spec["active"]?.boolValue == false ? nil : (spec["calls"]?.intValue ?? 1)
            await state.setJob(id: id, calls: calls)
            return .json(200, ["id": .string(id), "calls": calls.map(Value.int) ?? .null])
        case ("GET", "/_emulator/connections"):
            let counts = connections.counts
            return .json(200, ["opened": .int(counts.opened), "open": .int(counts.open)])
        case ("GET", "/_emulator/health"):
            return .json(200, ["ok": true])
        default:
            return .json(404, ["error": .string("no admin endpoint \(request.method) \(path)")])
        }
    }
}
