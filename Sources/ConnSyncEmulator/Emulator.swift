import ConnSyncModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

public struct EmulatorConfiguration: Sendable {
    public var host: String
    /// 0 = any free port.
    public var port: Int
    /// Added before every vendor answer (not admin calls).
    public var latency: Duration
    public var credentials: EmulatorCredentials
    /// `--data FILE`: loaded at start when it exists, written after every change.
    public var dataFile: String?
    /// Per vendor type, a limit on calls per authenticated principal (wix-data: its
    /// published 200/m per site), answered with the vendor's 429; enforced only when set.
    public var rateLimits: [String: RateLimit]
    /// The request log keeps the newest calls, at most this many.
    public var requestLogLimit = 200_000

    public init(
        host: String = "127.0.0.1", port: Int = 0, latency: Duration = .zero, credentials: EmulatorCredentials = EmulatorCredentials(),
        dataFile: String? = nil, rateLimits: [String: RateLimit] = [:]
    ) {
        self.host = host
        self.port = port
        self.latency = latency
        self.credentials = credentials
        self.dataFile = dataFile
        self.rateLimits = rateLimits
    }
}

public struct EmulatorError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The vendor APIs of ``EmulatedVendors`` over real HTTP (Hummingbird) on loopback, for demos,
/// tests and benchmarks, plus an admin API under `/_emulator` (see README.md).
public final class Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    let state: EmulatorState
    let held = HeldCalls()
    let logger: Logger
    let connections = ConnectionCounter()
    private let running = RunningServer()

    public init(configuration: EmulatorConfiguration, logger: Logger = Logger(label: "connsync.emulator")) {
        self.configuration = configuration
        self.logger = logger
        state = EmulatorState(configuration: configuration)
    }

    /// Starts listening and returns the bound port (the real one when 0 was asked).
    public func start() async throws -> Int {
        do {
            try await state.load()
        } catch {
            throw EmulatorError(description: error.message)
        }
        let responder = EmulatorResponder(state: state, held: held, configuration: configuration, connections: connections, logger: logger)
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

    /// Adds objects in each vendor's own shape: `{"<vendor type>": [...], ...}` (README.md).
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

    /// Lets every call a `hold` fault keeps go on; returns how many there were.
    @discardableResult
    public func releaseHeldCalls() async -> Int {
        await held.releaseAll()
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

