import ArgumentParser
import ConnSyncConfig
import ConnSyncEngine
import ConnSyncModel
import ConnSyncProviders
import ConnSyncState
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `connsync watch`: the controller.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Controller: reconcile on every new commit and every --resync, until SIGTERM/SIGINT.",
        discussion: """
            Polls the ref every --interval and reconciles (plan, log the plan, apply without prompt) when \
            it points at a new commit; re-checks drift every --resync and corrects it. With --listen it \
            serves POST /hooks/git (GitHub X-Hub-Signature-256 or GitLab X-Gitlab-Token, checked against \
            the secret in the variable --webhook-secret-env names), /healthz, /readyz and /metrics. \
            On SIGTERM or SIGINT it stops taking triggers, finishes the run in progress, releases the \
            lock and exits 0.
            """)

    @OptionGroup var source: SourceOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var lockTimeout: LockTimeoutOptions
    @OptionGroup var trust: TrustOptions

    @Option(name: .long, help: "How often to check the ref for a new commit.")
    var interval: String = "60s"

    @Option(name: .long, help: "How often to re-check drift and correct it.")
    var resync: String = "10m"

    @Option(name: .long, help: ArgumentHelp("Serve the webhook, health and metrics endpoints on HOST:PORT (port 0: any).", valueName: "HOST:PORT"))
    var listen: String?

    @Option(name: .customLong("webhook-secret-env"), help: ArgumentHelp("The variable holding the webhook secret.", valueName: "NAME"))
    var webhookSecretEnv: String?

    @Option(name: .customLong("log-format"), help: "Log format: text or json (for log shippers).")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("log-level"), help: "Lowest log level: debug, info, warning, error.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Most requests in flight overall.")
    var parallelism: Int = 64

    @Flag(name: .customLong("allow-plaintext-secrets"), help: "Accept literal values in secret fields.")
    var allowPlaintextSecrets = false

    func validate() throws {
        try checkDuration(interval, flag: "--interval", examples: "60s")
        try checkDuration(resync, flag: "--resync", examples: "10m")
        if let listen, Self.address(listen) == nil { throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level takes debug, info, warning or error") }
        if webhookSecretEnv != nil, listen == nil { throw ValidationError("--webhook-secret-env needs --listen") }
    }

    static func address(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    func run() async throws {
        let context = CommandContext()
        let console = context.console
        var logger = Logger(label: "connsync.watch") { label in
            StreamLogHandler(label: label, format: logFormat, console: console)
        }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        // The desired state is read once up front so a broken config fails fast.
        let sourceOptions = source.spec
        let allowPlaintext = allowPlaintextSecrets
        let trustSpec = trust.spec
        // Once per reconcile: secret commands run again, so a rotated vault secret is picked up.
        let loadDesired: @Sendable () async throws -> DesiredState = {
            try context.loadDesiredQuietly(sourceOptions, allowPlaintext: allowPlaintext, trust: trustSpec)
        }
        do {
            let first = try await loadDesired()
            _ = try context.gate(trust.spec, source: sourceOptions, desired: first)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        let store = try await context.openStore(state)
        let parallelism = self.parallelism
        let trust = self.trust.spec
        let timeout = self.trust.requestTimeoutDuration
        let dependencies = ControllerDependencies(
            loadDesired: loadDesired, store: store,
            makeEngine: { desired, log in
                // Engine events as this run's log lines (with its trigger and commit).
                let delegate = LoggingDelegate(logger: log)
                let stack = context.transportStack(desired: desired, parallelism: parallelism, delegate: delegate, requestTimeout: timeout)
                let engine = context.engine(stack: stack, store: store, delegate: delegate) {
                    // Decided per run once the lock is held, before any request: the desired
                    // state moves with every commit, and a skipped run reads no trusted source.
                    (try? context.gate(trust, source: sourceOptions, desired: desired))
                        ?? Engine.ProviderGate(
                            refusals: Dictionary(uniqueKeysWithValues: desired.providers.map {
                                ($0.name, "the trusted source or an --allow-host pattern could not be read; nothing is sent")
                            }))
                }
                return (engine, { await stack.shutdown() })
            }, clock: context.clock,
            currentRevision: { context.revision(sourceOptions) })
        let metrics = ControllerMetrics()
        let controller = Controller(
            configuration: ControllerConfiguration(
                interval: DurationText.parse(interval)!, resync: DurationText.parse(resync)!, lockTimeout: lockTimeout.duration,
                host: SystemProcessEnvironment().hostName),
            dependencies: dependencies, metrics: metrics, logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ControllerService(controller: controller), successTerminationBehavior: .gracefullyShutdownGroup)
        ]
        if let listen, let (host, port) = Self.address(listen) {
            var verifier: WebhookVerifier?
            if let name = webhookSecretEnv {
                if let secret = context.environment[name], !secret.isEmpty {
                    verifier = WebhookVerifier(secret: secret)
                } else {
                    logger.warning("the webhook is off: \(name) is not set or empty, so POST /hooks/git answers 404")
                }
            }
            var serverLogger = logger
            serverLogger.logLevel = .critical
            let app = Application(
                router: ControllerServer.router(
                    controller: controller, metrics: metrics, verifier: verifier, deliveries: DeliveryLog(clock: context.clock), logger: logger),
                configuration: .init(address: .hostname(host, port: port), serverName: nil),
                onServerRunning: { channel in
                    console.line("listening on http://\(host):\(channel.localAddress?.port ?? port)")
                },
                logger: serverLogger)
            services.append(.init(service: app))
        }
        var groupLogger = logger
        groupLogger.logLevel = .critical
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: groupLogger))
        logger.info("controller started", metadata: ["interval": .string(interval), "resync": .string(resync), "source": .string(source.repo ?? source.dir ?? ".")])
        do {
            try await group.run()
        } catch {
            logger.error("controller stopped on an error", metadata: ["error": .string("\(error)")])
            try? await store.close()
            throw ExitCode(1)
        }
        try? await store.close()
        logger.info("stopped")
    }
}

/// Runs the controller until graceful shutdown, which lets the run in progress finish.
struct ControllerService: Service {
    let controller: Controller

    func run() async throws {
        try await withGracefulShutdownHandler {
            await controller.run()
        } onGracefulShutdown: {
            Task { await controller.shutdown() }
        }
    }
}

/// Engine events as log lines (retries, waits), for the controller.
struct LoggingDelegate: EngineDelegate {
    let logger: Logger

    func engine(_ event: EngineEvent) {
        switch event {
        case .retrying(let provider, let attempt, let delay, let reason):
            logger.warning("retrying", metadata: ["provider": .string(provider), "reason": .string(reason), "attempt": .stringConvertible(attempt + 1), "delay": .stringConvertible(LogSeconds(delay))])
        case .waitingForJob(let address, let attempt, let delay, let code):
            logger.warning(
                "waiting for a job\(code.map { " (\($0))" } ?? "")",
                metadata: ["address": .string(address.description), "attempt": .stringConvertible(attempt), "delay": .stringConvertible(LogSeconds(delay))])
        case .observeFailed(let provider, let message):
            logger.error("observe failed", metadata: ["provider": .string(provider), "error": .string(message)])
        case .lockTakenOver(let holder):
            logger.warning("took over a stale state lock", metadata: ["holder": .string(holder)])
        case .lockReleaseFailed(let message):
            logger.error("cannot release the state lock", metadata: ["error": .string(message)])
        default:
            break
        }
    }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}

/// Log lines on stderr: `2026-11-23T10:00:00Z info message key=value` or one JSON object per line.
struct StreamLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    let console: Console
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let timestamp = ISO8601DateFormatter().string(from: Date())
        switch format {
        case .text:
            let fields = merged.keys.sorted().map { "\($0)=\(Self.flatten(merged[$0]!))" }.joined(separator: " ")
            console.error("\(timestamp) \(event.level) \(event.message)\(fields.isEmpty ? "" : " " + fields)")
        case .json:
            var object: [String: Value] = ["ts": .string(timestamp), "level": .string(event.level.rawValue), "msg": .string("\(event.message)"), "logger": .string(label)]
            for (key, value) in merged { object[key] = Self.json(value) }
            console.error(Value.object(object).jsonString())
        }
    }

    /// A metadata value as typed JSON: numbers and booleans as such, durations as seconds.
    static func json(_ value: Logger.Metadata.Value) -> Value {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let item):
            switch item {
            case let seconds as LogSeconds: return .double(seconds.seconds)
            case let number as Int: return .int(number)
            case let number as Double: return .double(number)
            case let flag as Bool: return .bool(flag)
            default: return .string(item.description)
            }
        case .array(let items): return .array(items.map(json))
        case .dictionary(let map): return .object(map.mapValues(json))
        }
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return text.contains(" ") ? "\"\(text)\"" : text
        case .stringConvertible(let item): return item.description
        case .array(let items): return items.map(flatten).joined(separator: ",")
        case .dictionary(let map): return map.keys.sorted().map { "\($0):\(flatten(map[$0]!))" }.joined(separator: ",")
        }
    }
}
