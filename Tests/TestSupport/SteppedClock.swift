import ConnSyncModel
import Foundation

/// A clock whose sleeps wait until the test moves time past their deadline
/// (``advance(by:)``), so that what runs on a timer (a lock's heartbeat) happens exactly when
/// the test says; a cancelled sleep throws at once. ``ManualClock`` instead returns from every
/// sleep at once.
public final class SteppedClock: ConnSyncClock, @unchecked Sendable {
    private struct Sleeper {
        var id: Int
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var offset: Duration = .zero
    private var sleepers: [Sleeper] = []
    private var nextID = 0
    private let origin = ContinuousClock.now
    private let startDate: Date

    public init(date: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        startDate = date
    }

    public func now() -> ContinuousClock.Instant {
        lock.withLock { origin + offset }
    }

    public func date() -> Date {
        lock.withLock {
            let components = offset.components
            return startDate.addingTimeInterval(Double(components.seconds) + Double(components.attoseconds) / 1e18)
        }
    }

    /// How many sleeps are waiting now.
    public var waiting: Int {
        lock.withLock { sleepers.count }
    }

    public func sleep(for duration: Duration) async throws {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.withLock {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        sleepers.append(Sleeper(id: id, deadline: offset + duration, continuation: continuation))
                    }
                }
            }
        } onCancel: {
            let cancelled = lock.withLock { () -> Sleeper? in
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleep whose deadline has come.
    public func advance(by duration: Duration) {
        let due = lock.withLock { () -> [Sleeper] in
            offset += duration
            let due = sleepers.filter { $0.deadline <= offset }
            sleepers.removeAll { $0.deadline <= offset }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
