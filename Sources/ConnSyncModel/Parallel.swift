import Dispatch
import Foundation

/// Order-preserving parallel map for pure work over many items (parsing thousands of
/// files, planning thousands of connections): chunks run on all cores; small inputs stay
/// on the calling thread.
public enum Parallel {
    /// The cores this process may use, read once (Foundation reads the cgroup files on every
    /// call, which per parsed file cost two opens and reads).
    public static let cores = ProcessInfo.processInfo.activeProcessorCount

    public static func map<T: Sendable, R: Sendable>(_ items: [T], minimumCount: Int = 512, _ transform: @Sendable (T) -> R) -> [R] {
        guard items.count >= minimumCount, cores > 1 else { return items.map(transform) }
        let results = ResultSlots<R>(count: items.count)
        let ranges = slices(items.count, minimumCount: 0)
        DispatchQueue.concurrentPerform(iterations: ranges.count) { chunk in
            for index in ranges[chunk] { results.set(index, transform(items[index])) }
        }
        return results.collect()
    }

    /// `0..<count` cut into as many slices as ``map(_:minimumCount:_:)`` runs at once (four per
    /// core), or one slice below `minimumCount`.
    public static func slices(_ count: Int, minimumCount: Int) -> [Range<Int>] {
        let pieces = count >= minimumCount && cores > 1 ? max(1, min(count, cores * 4)) : 1
        return (0..<pieces).map { count * $0 / pieces..<count * ($0 + 1) / pieces }
    }
}

/// One slot per item, each written by exactly one chunk: no two threads touch a slot.
private final class ResultSlots<R>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<R?>
    private var collected = false

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    func set(_ index: Int, _ value: R) {
        buffer[index] = value
    }

    /// The results, moved out (a copy retained every reference of every result once more,
    /// and the slots' release undid it): call once.
    func collect() -> [R] {
        precondition(!collected, "results are collected once")
        collected = true
        return [R](unsafeUninitializedCapacity: buffer.count) { results, initialized in
            for index in buffer.indices {
                (results.baseAddress! + index).initialize(to: (buffer.baseAddress! + index).move()!)
            }
            initialized = buffer.count
        }
    }

    deinit {
        if !collected { buffer.deinitialize() }
        buffer.deallocate()
    }
}
