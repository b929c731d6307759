import ConnSyncModel
import Foundation

/// When and how long to retry (contracts.md: 429, 502, 503, 504 and connection
/// failures, exponential backoff with jitter, `Retry-After` honoured; never other 4xx).
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest `Retry-After` honoured; longer asks are capped.
    public var maxRetryAfter: Duration
    /// Retries of one request end once they would take longer than this in all (cli.md v1.1).
    public var maxRetryDuration: Duration
    public var retryableStatuses: Set<Int>

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(30),
        maxRetryAfter: Duration = .seconds(60), maxRetryDuration: Duration = .seconds(180),
        retryableStatuses: Set<Int> = [429, 502, 503, 504]
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.maxRetryDuration = maxRetryDuration
        self.retryableStatuses = retryableStatuses
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Full jitter: a random delay in `0...min(maxDelay, base × 2^(attempt-1))`.
    public func backoff(attempt: Int, random: any RandomSource) -> Duration {
        var ceiling = baseDelay
        for _ in 1..<max(1, min(attempt, 30)) {
            ceiling = ceiling * 2
            if ceiling >= maxDelay { ceiling = maxDelay; break }
        }
        return ceiling * random.nextUnit()
    }

    /// The delay a `Retry-After` header asks for (delta-seconds or HTTP-date), capped.
    public func retryAfter(_ header: String?, now: Date) -> Duration? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Int(header), seconds >= 0 {
            return min(.seconds(seconds), maxRetryAfter)
        }
        guard let date = Self.httpDate(header) else { return nil }
        let seconds = max(0, date.timeIntervalSince(now))
        return min(.milliseconds(Int64(seconds * 1000)), maxRetryAfter)
    }

    /// RFC 9110 IMF-fixdate (and the obsolete RFC 850 / asctime forms).
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

/// Why a request is being retried (for logs and progress; no secret in it).
public struct RetryEvent: Sendable, Hashable {
    public var request: String
    public var attempt: Int
    public var delay: Duration
    public var reason: String
}

/// Retries transient failures of the wrapped transport per a ``RetryPolicy``,
/// resending the same request (same body) each time. Cancellation stops the wait.
public struct RetryingTransport: HTTPTransport {
    public let base: any HTTPTransport
    public var taskExecutor: (any TaskExecutor)? { base.taskExecutor }
    public let policy: RetryPolicy
    public let clock: any ConnSyncClock
    public let random: any RandomSource
    public let onRetry: (@Sendable (RetryEvent) -> Void)?

    public init(
        base: any HTTPTransport, policy: RetryPolicy = RetryPolicy(), clock: any ConnSyncClock = SystemClock(),
        random: any RandomSource = SystemRandom(), onRetry: (@Sendable (RetryEvent) -> Void)? = nil
    ) {
        self.base = base
        self.policy = policy
        self.clock = clock
        self.random = random
        self.onRetry = onRetry
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var attempt = 1
        let started = clock.now()
        /// Whether one more wait of `delay` keeps the retries within their total budget.
        func fits(_ delay: Duration) -> Bool {
            started.duration(to: clock.now()) + delay <= policy.maxRetryDuration
        }
        while true {
            let delay: Duration
            let reason: String
            do {
                let response: HTTPResponse
                do {
                    response = try await base.send(request)
                } catch TransportError.cancelledBeforeSending where attempt > 1 {
                    // An earlier attempt went out: its outcome is unknown.
                    throw TransportError.cancelled
                }
                guard policy.retryableStatuses.contains(response.status), attempt < policy.maxAttempts else { return response }
                let wanted =
                    policy.retryAfter(response.headers["Retry-After"], now: clock.date())
                    ?? policy.backoff(attempt: attempt, random: random)
                guard fits(wanted) else { return response }
                delay = wanted
                reason = "answered HTTP \(response.status)"
            } catch let error as TransportError where error.isTransient && attempt < policy.maxAttempts {
                let wanted = policy.backoff(attempt: attempt, random: random)
                guard fits(wanted) else { throw error }
                delay = wanted
                reason = "failed: \(error.description)"
            }
            onRetry?(RetryEvent(request: request.description, attempt: attempt, delay: delay, reason: reason))
            do {
                try await clock.sleep(for: delay)
            } catch {
                throw TransportError.cancelled
            }
            attempt += 1
        }
    }
}
