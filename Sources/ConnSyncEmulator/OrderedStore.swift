import ConnSyncModel
import Foundation

/// Objects in insertion order, keyed; lists are served in that order.
struct OrderedStore: Sendable {
    private(set) var items: [String: Value] = [:]
    private var sequence: [String: Int] = [:]
    private var counter = 0
    private var cache: [String]?
    /// Bumped by every change: filtered key lists (``keys(_:where:)``) are kept per version.
    private var version = 0
    private var filtered: [String: (version: Int, keys: [String])] = [:]
    /// Each item's JSON as the vendor shows it, rendered once per version of the item:
    /// list pages are spliced from these instead of serializing every object per call.
    private var rendered: [String: Data] = [:]

    var count: Int { items.count }

    subscript(key: String) -> Value? {
        items[key]
    }

    mutating func put(_ key: String, _ value: Value) {
        if sequence[key] == nil {
            counter += 1
            sequence[key] = counter
            cache = nil
        }
        items[key] = value
        rendered[key] = nil
        version += 1
    }

    mutating func remove(_ key: String) {
        items[key] = nil
        sequence[key] = nil
        rendered[key] = nil
        cache = nil
        version += 1
    }

    /// The views of the items at `keys` (in that order) as JSON bytes, each rendered once
    /// per version of its item; `view` must be a pure function of the key and stored item.
    mutating func rendered(_ keys: some Sequence<String>, view: (String, Value) -> Value) -> [Data] {
        var result: [Data] = []
        for key in keys {
            if let data = rendered[key] {
                result.append(data)
            } else if let value = items[key] {
                let data = (try? view(key, value).jsonData(secrets: .reveal)) ?? Data("null".utf8)
                rendered[key] = data
                result.append(data)
            }
        }
        return result
    }

    /// Keys in insertion order.
    mutating func orderedKeys() -> [String] {
        if let cache { return cache }
        let keys = sequence.sorted { $0.value < $1.value }.map(\.key)
        cache = keys
        return keys
    }

    /// The keys in insertion order whose items pass `include`, worked out once per version of
    /// the store for each `name`: a list served page by page scans the store once, not once per
    /// page. `include` must be a pure function of the key and item, given `name` (and of state
    /// changed only together with this store).
    mutating func keys(_ name: String, where include: (String, Value) -> Bool) -> [String] {
        if let hit = filtered[name], hit.version == version { return hit.keys }
        let keys = orderedKeys().filter { key in items[key].map { include(key, $0) } ?? false }
        if filtered.count >= 64 { filtered = [:] }
        filtered[name] = (version, keys)
        return keys
    }

    mutating func orderedValues() -> [Value] {
        orderedKeys().compactMap { items[$0] }
    }
}
