import ConnSyncEngine
import ConnSyncModel
import ConnSyncProviders

/// The transports of one run; ``shutdown()`` closes the pooled connections.
final class TransportStack: Sendable {
    let base: NIOHTTPTransport
    let vendors: VendorRegistry
    let global: ConcurrencyLimiter
    let clock: any ConnSyncClock
    let delegate: any EngineDelegate
    /// Every secret of the desired state: kept out of what vendors answer.
    let redactor: Redactor

    init(
        base: NIOHTTPTransport, vendors: VendorRegistry, parallelism: Int, clock: any ConnSyncClock, delegate: any EngineDelegate,
        redactor: Redactor
    ) {
        self.base = base
        self.vendors = vendors
        global = ConcurrencyLimiter(limit: parallelism)
        self.clock = clock
        self.delegate = delegate
        self.redactor = redactor
    }

    /// Builds the provider for `config` over this stack.
    func provider(_ config: ProviderConfig) throws(ProviderError) -> any Provider {
        let delegate = self.delegate
        let name = config.name
        // Innermost first: the global cap is taken last, just before sending (were it taken
        // first, waiters for one busy provider would hold global permits and starve the others);
        // a rate-limit wait holds only this provider's permit; retries are outermost, so a
        // back-off sleep holds no permit at all.
        var transport: any HTTPTransport = ConcurrencyLimitedTransport(base: base, limiter: global)
        if let limit = vendors.definition(for: config.type)?.rules.rateLimit(of: config) {
            transport = RateLimitedTransport(base: transport, limiter: RateLimiter(limit: limit, clock: clock))
        }
        transport = ConcurrencyLimitedTransport(base: transport, limiter: ConcurrencyLimiter(limit: config.concurrency))
        transport = RetryingTransport(
            base: transport, clock: clock,
            onRetry: { event in
                delegate.engine(.retrying(provider: name, attempt: event.attempt, delay: event.delay, reason: "\(event.request) \(event.reason)"))
            })
        let jobWait = JobWaitPolicy(
            clock: clock,
            onWait: { address, attempt, delay, code in
                delegate.engine(.waitingForJob(address: address, attempt: attempt, delay: delay, code: code))
            })
        return try vendors.provider(for: config, transport: transport, jobWait: jobWait, redactor: redactor)
    }

    func shutdown() async {
        await base.shutdown()
    }
}
