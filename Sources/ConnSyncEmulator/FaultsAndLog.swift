import ConnSyncModel
import Foundation

/// A fault the admin API armed: the next `remaining` matching vendor calls get it.
struct Fault: Sendable {
    enum Action: String, Sendable {
        case status
        case drop
        case delay
        /// Wait until released (`POST /_emulator/faults/release`), then answer.
        case hold
    }

    var id: Int
    /// A vendor type name; nil: any vendor.
    var vendor: String?
    var method: String?
    /// Exact path, or a prefix when it ends with `*`.
    var path: String?
    var remaining: Int
    var action: Action
    var status: Int
    var retryAfter: String?
    var body: Value?
    var delayMilliseconds: Int

    func matches(vendor: String, method: String, path: String) -> Bool {
        if let wanted = self.vendor, wanted != vendor { return false }
        if let wanted = self.method, wanted.uppercased() != method { return false }
        if let pattern = self.path {
            if pattern.hasSuffix("*") {
                if !path.hasPrefix(String(pattern.dropLast())) { return false }
            } else if pattern != path {
                return false
            }
        }
        return true
    }
}

/// One logged vendor call (never an auth header).
struct LoggedRequest: Sendable {
    var sequence: Int
    var vendor: String
    var method: String
    var path: String
    var query: String
    var status: Int
    var durationMilliseconds: Double
    /// When the call arrived, in seconds since 1970 (the benchmark's "first request sent").
    var arrivedAt: Double = 0
    var body: Value?
    /// Request headers, lower-cased names, without `authorization`.
    var headers: [String: String] = [:]

    var value: Value {
        [
            "seq": .int(sequence), "vendor": .string(vendor), "method": .string(method), "path": .string(path),
            "query": .string(query), "status": .int(status), "durationMs": .double((durationMilliseconds * 100).rounded() / 100),
            "at": .double((arrivedAt * 10_000).rounded() / 10_000),
            "body": body ?? .null, "headers": .object(headers.mapValues(Value.string)),
        ]
    }
}

/// Calls per principal within a sliding window, for a configured rate limit.
struct RateLimiter: Sendable {
    /// When each recent call was let through, per key; at most `limit.count` per key.
    private var calls: [String: [Date]] = [:]

    /// Whether a call for `key` over `limit` must be refused; counts it when it is not.
    mutating func refuses(_ key: String, limit: RateLimit, now: Date = Date()) -> Bool {
        let window = limit.per.seconds
        var recent = (calls[key] ?? []).filter { now.timeIntervalSince($0) < window }
        if recent.count >= limit.count {
            calls[key] = recent
            return true
        }
        recent.append(now)
        calls[key] = recent
        return false
    }
}

/// Calls a `hold` fault keeps waiting until the test releases them (or, as a bound, until
/// the fault's `delayMs`, default two minutes): what a test does "while the call is in
/// flight" then never races the machine's load.
actor HeldCalls {
    /// The longest a call is held when the fault gives no `delayMs`.
    static let defaultLimit: Duration = .seconds(120)

    private var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    private var next = 0

    /// Waits until released, or until `limit`.
    func hold(upTo limit: Duration) async {
        next += 1
        let id = next
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.resume(id)
        }
        await withCheckedContinuation { waiting[id] = $0 }
        timer.cancel()
    }

    private func resume(_ id: Int) {
        waiting.removeValue(forKey: id)?.resume()
    }

    /// Lets every held call go on; returns how many there were.
    func releaseAll() -> Int {
        let all = waiting
        waiting = [:]
        for continuation in all.values { continuation.resume() }
        return all.count
    }

    var count: Int { waiting.count }
}
