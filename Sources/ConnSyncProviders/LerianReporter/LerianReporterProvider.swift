import ConnSyncModel
import ConnSyncPlan
import Foundation

/// lerian-reporter over HTTP: `GET /v1/management/connections` pages (`limit` 100,
/// `total`); a `409 FET-1021` (a job is using the connection) is waited out with
/// exponential backoff up to a bounded time, then reported.
public struct LerianReporterProvider: Provider {
    public let config: ProviderConfig
    public let mapping: any VendorMapping = LerianReporterMapping()
    let http: VendorHTTP
    let jobWait: JobWaitPolicy
    static let pageSize = 100

    public init(config: ProviderConfig, transport: any HTTPTransport, jobWait: JobWaitPolicy, redactor: Redactor = .none) throws(ProviderError) {
        self.config = config
        self.jobWait = jobWait
        let tenant = config.tenantId.map { [("X-Tenant-ID", $0)] } ?? []
        http = try VendorHTTP(config: config, transport: transport, redactor: redactor, commonHeaders: tenant)
    }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let name = config.name
        return try await http.pagedList(
            key: "items", mapping: mapping, pageSize: Self.pageSize,
            path: { "/v1/management/connections?page=\($0)&limit=\(Self.pageSize)&sortOrder=asc" }
        ) { first, items throws(ProviderError) in
            .known(
                try Paging.pages(
                    total: first["total"]?.intValue, totalPages: nil, firstPageCount: items.count, pageSize: Self.pageSize,
                    operation: "observe", provider: name))
        }
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        var attempt = 0
        var waited: Duration = .zero
        while true {
            do {
                let (response, _) = try await http.sendChange(change)
                // Only a create's answer holds an id connsync does not know yet.
                let id = change.action == .create ? (try? Value(json: response.body))?["id"]?.stringValue : nil
                return ApplyResponse(status: response.status, remoteID: id ?? change.remoteID)
            } catch where error.kind == .jobInProgress {
                let delay = jobWait.delay(attempt: attempt)
                guard waited + delay <= jobWait.maximumWait else {
                    var final = error
                    final.message += " (still busy after waiting \(jobWait.maximumWait.formattedSeconds))"
                    throw final
                }
                jobWait.onWait?(change.address, attempt + 1, delay)
                do { try await jobWait.clock.sleep(for: delay) } catch {
                    throw ProviderError(kind: .transport, operation: VendorHTTP.operation(change), provider: config.name, message: "cancelled")
                }
                waited += delay
                attempt += 1
            }
        }
    }
}

/// How long a lerian-reporter change waits out `409 FET-1021` (a job in progress).
public struct JobWaitPolicy: Sendable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// The total wait after which the change fails.
    public var maximumWait: Duration
    public var clock: any ConnSyncClock
    /// Called before each wait (for logs and progress).
    public var onWait: (@Sendable (Address, Int, Duration) -> Void)?

    public init(
        initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(15), maximumWait: Duration = .seconds(120),
        clock: any ConnSyncClock, onWait: (@Sendable (Address, Int, Duration) -> Void)? = nil
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
