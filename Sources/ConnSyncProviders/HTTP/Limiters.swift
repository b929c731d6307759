import ConnSyncModel
import Foundation

/// At most N operations in flight; waiters are served in arrival order. A
/// cancelled waiter leaves the queue without taking (or leaking) a permit.
///
/// Started below its limit (`startingAt`), the limit grows by one with every operation
/// that succeeds, up to `limit`: slow start, as TCP does it.
public actor ConcurrencyLimiter {
    public let limit: Int
    /// The limit now (grows to ``limit``).
    public private(set) var current: Int
    private var inFlight = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0
    private var completedCount = 0
    private var peakInFlight = 0

    public init(limit: Int, startingAt initial: Int? = nil) {
        self.limit = max(1, limit)
        current = min(self.limit, max(1, initial ?? limit))
    }

    /// Counters for progress displays.
    public struct Counters: Sendable, Hashable {
        public var inFlight: Int
        public var waiting: Int
        public var completed: Int
        public var peakInFlight: Int
    }

    public var counters: Counters {
        Counters(inFlight: inFlight, waiting: waiters.count, completed: completedCount, peakInFlight: peakInFlight)
    }

    public func acquire() async throws {
        if inFlight < current && waiters.isEmpty {
            take()
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func take() {
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
    }

    private func cancel(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
    }

    /// Gives the permit back; a success grows a limit started below ``limit``.
    public func release(succeeded: Bool = true) {
        inFlight -= 1
        completedCount += 1
        if succeeded, current < limit { current += 1 }
        while inFlight < current, !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            take()
            waiter.continuation.resume()
        }
    }

    /// Runs `body` holding one permit.
    public nonisolated func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }
}

/// Bounds the requests in flight through the wrapped transport.
public struct ConcurrencyLimitedTransport: HTTPTransport {
    public let base: any HTTPTransport
    public var taskExecutor: (any TaskExecutor)? { base.taskExecutor }
    public let limiter: ConcurrencyLimiter

    public init(base: any HTTPTransport, limiter: ConcurrencyLimiter) {
        self.base = base
        self.limiter = limiter
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            try await limiter.acquire()
        } catch {
            throw TransportError.cancelledBeforeSending
        }
        do {
            let response = try await base.send(request)
            await limiter.release()
            return response
        } catch is CancellationError {
            await limiter.release()
            throw TransportError.cancelled
        } catch {
            await limiter.release()
            throw error
        }
    }
}

/// A rate limiter (GCRA, the token bucket's exact twin): bursts up to
/// `limit.count`, then one request per `1/rate`; callers are scheduled in arrival
/// order the moment they ask. Time comes from the injected clock.
public actor RateLimiter {
    public let limit: RateLimit
    private let clock: any ConnSyncClock
    private let interval: Duration
    private let tolerance: Duration
    /// The theoretical arrival time of the next request.
    private var arrival: ContinuousClock.Instant

    public init(limit: RateLimit, clock: any ConnSyncClock) {
        self.limit = limit
        self.clock = clock
        interval = .nanoseconds(Int64(1e9 / limit.perSecond))
        tolerance = interval * (limit.count - 1)
        arrival = clock.now()
    }

    /// Waits until a request may be sent.
    public func acquire() async throws {
        let now = clock.now()
        let due = max(arrival, now)
        let wait = (due - tolerance) - now
        arrival = due + interval
        if wait > .zero {
            try await clock.sleep(for: wait)
        }
    }
}

/// Spaces requests through the wrapped transport per a ``RateLimiter``.
public struct RateLimitedTransport: HTTPTransport {
    public let base: any HTTPTransport
    public var taskExecutor: (any TaskExecutor)? { base.taskExecutor }
    public let limiter: RateLimiter

    public init(base: any HTTPTransport, limiter: RateLimiter) {
        self.base = base
        self.limiter = limiter
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            try await limiter.acquire()
        } catch {
            throw TransportError.cancelledBeforeSending
        }
        return try await base.send(request)
    }
}
