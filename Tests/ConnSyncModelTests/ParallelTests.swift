import ConnSyncModel
import Foundation
import Testing

@Suite("Parallel map")
struct ParallelTests {
    final class Tracked: Sendable {
        let value: Int
        let freed: FreedCount
        init(_ value: Int, freed: FreedCount) {
            self.value = value
            self.freed = freed
        }
        deinit { freed.add() }
    }

    final class FreedCount: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { lock.withLock { count } }
        func add() { lock.withLock { count += 1 } }
    }

    /// Results come back in input order, each held once: the slots they were made in keep no
    /// reference, and every result is freed exactly once when the caller drops them (a leak
    /// or a double free of the moved results fails here; copying them would pass too). Both
    /// sizes reach the parallel path on a machine of two cores or more.
    @Test(arguments: [64, 5_000])
    func resultsKeepTheirOrderAndAreHeldOnce(_ count: Int) {
        let freed = FreedCount()
        do {
            var results = Parallel.map(Array(0..<count), minimumCount: 64) { Tracked($0 * 3, freed: freed) }
            #expect(results.map(\.value) == (0..<count).map { $0 * 3 })
            #expect(results.indices.allSatisfy { isKnownUniquelyReferenced(&results[$0]) })
            #expect(freed.value == 0)
        }
        #expect(freed.value == count)
    }
}
