import Foundation

/// Time, injected: production sleeps for real; tests use ``ManualClock`` and never do.
public protocol ConnSyncClock: Sendable {
    /// Monotonic now, for durations.
    func now() -> ContinuousClock.Instant
    /// Wall-clock now, for HTTP dates (`Retry-After`) and records.
    func date() -> Date
    /// Suspends for `duration`; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemClock: ConnSyncClock {
    public init() {}

    public func now() -> ContinuousClock.Instant { ContinuousClock.now }
    public func date() -> Date { Date() }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// A clock for tests: `sleep` returns at once, advancing virtual time and
/// recording what was asked, so backoff and rate limits are tested without waiting.
public final class ManualClock: ConnSyncClock, @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Duration = .zero
    private var recorded: [Duration] = []
    private let origin = ContinuousClock.now
    private let startDate: Date

    public init(date: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        startDate = date
    }

    public func now() -> ContinuousClock.Instant {
        lock.lock()
        defer { lock.unlock() }
        return origin + offset
    }

    public func date() -> Date {
        lock.lock()
        defer { lock.unlock() }
        let components = offset.components
        return startDate.addingTimeInterval(Double(components.seconds) + Double(components.attoseconds) / 1e18)
    }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        lock.withLock {
            recorded.append(duration)
            offset += duration
        }
        await Task.yield()
    }

    /// Moves virtual time forward without a sleep.
    public func advance(by duration: Duration) {
        lock.lock()
        offset += duration
        lock.unlock()
    }

    /// Every sleep asked so far, in order.
    public var sleeps: [Duration] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// Randomness, injected (jitter): seedable in tests.
public protocol RandomSource: Sendable {
    /// A number in `0..<1`.
    func nextUnit() -> Double
}

public struct SystemRandom: RandomSource {
    public init() {}
    public func nextUnit() -> Double { Double.random(in: 0..<1) }
}

/// A deterministic generator (SplitMix64) for tests.
public final class SeededRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public func nextUnit() -> Double {
        lock.lock()
        defer { lock.unlock() }
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        value ^= value >> 31
        return Double(value >> 11) / Double(UInt64(1) << 53)
    }
}
