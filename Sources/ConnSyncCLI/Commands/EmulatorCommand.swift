import ArgumentParser
import ConnSyncEmulator
import ConnSyncModel
import Foundation
import Logging

/// `connsync emulator`: the emulated vendor APIs on loopback, for demos and tests.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve the emulated vendor APIs (and an admin API under /_emulator) on loopback.",
        discussion: """
            Prints `listening on http://127.0.0.1:PORT` once bound, then runs until SIGTERM or SIGINT. \
            Credentials can also come from CONNSYNC_EMULATOR_WIREMOCK_TOKEN, _REPORTER_TOKEN, _CREDIBLE_TOKEN, \
            _DATAFOR_USER, _DATAFOR_PASSWORD, _WIX_TOKEN, _GRAFANA_TOKEN and _METABASE_API_KEY; a vendor without one \
            accepts any well-formed header.
            """)

    @Option(name: .long, help: "Port to listen on (0 = any free port).")
    var port: Int = 0

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("latency-ms"), help: "Delay every vendor answer by this many milliseconds.")
    var latencyMilliseconds: Int = 0

    @Option(name: .long, help: ArgumentHelp("Load state from FILE at start (if it exists) and save it after every change.", valueName: "FILE"))
    var data: String?

    @Option(name: .customLong("wiremock-token"), help: "The only wiremock-cloud API key accepted.")
    var wiremockToken: String?

    @Option(name: .customLong("reporter-token"), help: "The only lerian-reporter Bearer token accepted (none: no auth required).")
    var reporterToken: String?

    @Option(name: .customLong("credible-token"), help: "The only credible-data Bearer token accepted.")
    var credibleToken: String?

    @Option(name: .customLong("datafor-user"), help: "The only datafor user accepted.")
    var dataforUser: String?

    @Option(name: .customLong("datafor-password"), help: "The only datafor password accepted.")
    var dataforPassword: String?

    @Option(name: .customLong("wix-token"), help: "The only wix-data token accepted.")
    var wixToken: String?

    @Option(name: .customLong("grafana-token"), help: "The only grafana service-account token accepted.")
    var grafanaToken: String?

    @Option(name: .customLong("metabase-api-key"), help: "The only metabase API key accepted.")
    var metabaseAPIKey: String?

    @Option(name: .customLong("wix-rate-limit"), help: "Enforce wix-data's published limit per token, e.g. 200/m (off by default).")
    var wixRateLimit: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard latencyMilliseconds >= 0 else { throw ValidationError("--latency-ms must be 0 or more") }
        if let wixRateLimit, RateLimit(parsing: wixRateLimit) == nil {
            throw ValidationError("--wix-rate-limit takes N/s or N/m, e.g. 200/m")
        }
    }

    func run() async throws {
        let console = Console()
        let environment = ProcessInfo.processInfo.environment
        var credentials = EmulatorCredentials.fromEnvironment(environment)
        credentials.wiremockToken = wiremockToken ?? credentials.wiremockToken
        credentials.reporterToken = reporterToken ?? credentials.reporterToken
        credentials.credibleToken = credibleToken ?? credentials.credibleToken
        credentials.dataforUser = dataforUser ?? credentials.dataforUser
        credentials.dataforPassword = dataforPassword ?? credentials.dataforPassword
        credentials.wixToken = wixToken ?? credentials.wixToken
        credentials["grafana", "token"] = grafanaToken ?? credentials["grafana", "token"]
        credentials["metabase", "token"] = metabaseAPIKey ?? credentials["metabase", "token"]
        var logger = Logger(label: "connsync.emulator")
        logger.logLevel = .critical
        let emulator = Emulator(
            configuration: EmulatorConfiguration(
                host: host, port: port, latency: .milliseconds(latencyMilliseconds), credentials: credentials, dataFile: data,
                wixRateLimit: wixRateLimit.flatMap(RateLimit.init(parsing:))),
            logger: logger)
        let signals = SignalWaiter(signals: [SIGTERM, SIGINT])
        let bound: Int
        do {
            bound = try await emulator.start()
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        console.line("listening on http://\(host):\(bound)")
        let signal = await signals.wait()
        console.error("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"); stopping")
        await emulator.stop()
    }
}

/// Waits for one of `signals` without killing the process (the handlers are replaced).
final class SignalWaiter: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// The next signal received.
    func wait() async -> Int32 {
        for await number in stream { return number }
        return SIGTERM
    }

    /// Signals as they come.
    var received: AsyncStream<Int32> { stream }

    /// Gives the signals back their default action (a second Ctrl-C then ends the process).
    func restore() {
        for source in sources { source.cancel() }
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }
}
