import ConnSyncModel
import ConnSyncPlan
import Foundation

/// The provider of every vendor: a definition's list call and writes over the shared HTTP
/// side. A change the vendor answers "busy" for (a job holds the connection) is waited out
/// with exponential backoff up to a bounded time, then reported.
public struct HTTPVendorProvider: Provider {
    public let config: ProviderConfig
    public let mapping: any VendorMapping
    let api: any VendorAPI
    let http: VendorHTTP
    let jobWait: JobWaitPolicy

    public init(
        definition: VendorDefinition, config: ProviderConfig, transport: any HTTPTransport, jobWait: JobWaitPolicy, redactor: Redactor = .none
    ) throws(ProviderError) {
        self.config = config
        mapping = definition.mapping
        api = definition.api
        self.jobWait = jobWait
        http = try VendorHTTP(config: config, definition: definition, transport: transport, redactor: redactor)
    }

    public var taskExecutor: (any TaskExecutor)? { http.transport.taskExecutor }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        try await http.list(api.listCall(config), mapping: mapping, names: names)
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        var attempt = 0
        var waited: Duration = .zero
        while true {
            do {
                return try await api.send(change, http: http)
            } catch where error.kind == .jobInProgress {
                let delay = jobWait.delay(attempt: attempt)
                guard waited + delay <= jobWait.maximumWait else {
                    var final = error
                    final.message += " (still busy after waiting \(jobWait.maximumWait.formattedSeconds))"
                    throw final
                }
                jobWait.onWait?(change.address, attempt + 1, delay, error.code)
                do { try await jobWait.clock.sleep(for: delay) } catch {
                    throw ProviderError(kind: .transport, operation: VendorHTTP.operation(change), provider: config.name, message: "cancelled")
                }
                waited += delay
                attempt += 1
            }
        }
    }
}

/// How long a change waits out a vendor's "busy" answer (a job in progress).
public struct JobWaitPolicy: Sendable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// The total wait after which the change fails.
    public var maximumWait: Duration
    public var clock: any ConnSyncClock
    /// Called before each wait (for logs and progress), with the vendor's code for "busy".
    public var onWait: (@Sendable (Address, Int, Duration, String?) -> Void)?

    public init(
        initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(15), maximumWait: Duration = .seconds(120),
        clock: any ConnSyncClock, onWait: (@Sendable (Address, Int, Duration, String?) -> Void)? = nil
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumWait = maximumWait
        self.clock = clock
        self.onWait = onWait
    }

    func delay(attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 0..<min(attempt, 20) {
            delay = delay * 2
            if delay >= maximumDelay { return maximumDelay }
        }
        return delay
    }
}

extension Duration {
    var formattedSeconds: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }
}
