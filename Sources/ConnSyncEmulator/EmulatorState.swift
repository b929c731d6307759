import ConnSyncModel
import Foundation

/// Objects in insertion order, keyed; lists are served in that order.
struct OrderedStore: Sendable {
    private(set) var items: [String: Value] = [:]
    private var sequence: [String: Int] = [:]
    private var counter = 0
    private var cache: [String]?
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
    }

    mutating func remove(_ key: String) {
        items[key] = nil
        sequence[key] = nil
        rendered[key] = nil
        cache = nil
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

    mutating func orderedValues() -> [Value] {
        orderedKeys().compactMap { items[$0] }
    }
}

/// A fault the admin API armed: the next `remaining` matching vendor calls get it.
struct Fault: Sendable {
    enum Action: String, Sendable {
        case status
        case drop
        case delay
    }

    var id: Int
    var vendor: EmulatedVendor?
    var method: String?
    /// Exact path, or a prefix when it ends with `*`.
    var path: String?
    var remaining: Int
    var action: Action
    var status: Int
    var retryAfter: String?
    var body: Value?
    var delayMilliseconds: Int

    func matches(vendor: EmulatedVendor, method: String, path: String) -> Bool {
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
    var body: Value?
    /// Request headers, lower-cased names, without `authorization`.
    var headers: [String: String] = [:]

    var value: Value {
        [
            "seq": .int(sequence), "vendor": .string(vendor), "method": .string(method), "path": .string(path),
            "query": .string(query), "status": .int(status), "durationMs": .double((durationMilliseconds * 100).rounded() / 100),
            "body": body ?? .null, "headers": .object(headers.mapValues(Value.string)),
        ]
    }
}

/// Everything the emulator holds: each vendor's objects (write-only fields included),
/// armed faults, lerian-reporter jobs, and the request log. All mutation goes
/// through this actor, so every call is atomic.
actor EmulatorState {
    // wiremock-cloud: by id; owner user per id; name → id (names are unique per organisation).
    var wiremock = OrderedStore()
    var wiremockOwner: [String: String] = [:]
    var wiremockByName: [String: String] = [:]
    // lerian-reporter: per tenant, by id; configName → id of live (not deleted) connections.
    var lerian: [String: OrderedStore] = [:]
    var lerianByName: [String: [String: String]] = [:]
    var lerianJobs: [String: Int] = [:]
    // credible-data: per project, by name.
    var credible: [String: OrderedStore] = [:]
    // datafor: by name; id → name.
    var datafor = OrderedStore()
    var dataforIDs: [String: String] = [:]
    // wix-data: by name.
    var wix = OrderedStore()
    var wixCalls: [String: [Date]] = [:]

    var faults: [Fault] = []
    var nextFaultID = 1
    var log: [LoggedRequest] = []
    var logSequence = 0
    var idCounter = 0

    let dataFile: String?
    let wixRateLimit: RateLimit?

    init(dataFile: String?, wixRateLimit: RateLimit?) {
        self.dataFile = dataFile
        self.wixRateLimit = wixRateLimit
    }

    // MARK: ids

    func newID() -> String {
        idCounter += 1
        return String(format: "%08x", idCounter) + String(format: "%04x", Int.random(in: 0..<0xFFFF))
    }

    func newUUID() -> String {
        idCounter += 1
        let random = UUID().uuidString.lowercased()
        return String(random.prefix(24)) + String(format: "%012x", idCounter)
    }

    // MARK: faults, log, jobs

    func takeFault(vendor: EmulatedVendor, method: String, path: String) -> Fault? {
        guard let index = faults.firstIndex(where: { $0.matches(vendor: vendor, method: method, path: path) }) else { return nil }
        var fault = faults[index]
        fault.remaining -= 1
        if fault.remaining <= 0 { faults.remove(at: index) } else { faults[index] = fault }
        return fault
    }

    func addFault(_ spec: Value) throws(AdminError) -> Int {
        var vendor: EmulatedVendor?
        if let name = spec["vendor"]?.stringValue {
            guard let parsed = EmulatedVendor(rawValue: name) else { throw AdminError("unknown vendor \(name)") }
            vendor = parsed
        }
        let action = Fault.Action(rawValue: spec["action"]?.stringValue ?? "status") ?? .status
        let status = spec["status"]?.intValue ?? (action == .status ? 503 : 200)
        guard (100...599).contains(status) else { throw AdminError("status must be an HTTP status") }
        let count = spec["count"]?.intValue ?? 1
        guard count >= 1 else { throw AdminError("count must be at least 1") }
        let retryAfter = spec["retryAfter"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) }
        let fault = Fault(
            id: nextFaultID, vendor: vendor, method: spec["method"]?.stringValue, path: spec["path"]?.stringValue, remaining: count,
            action: action, status: status, retryAfter: retryAfter, body: spec["body"],
            delayMilliseconds: spec["delayMs"]?.intValue ?? 0)
        nextFaultID += 1
        faults.append(fault)
        return fault.id
    }

    func clearFaults() {
        faults = []
    }

    /// Armed faults with the calls each still applies to (a consumed fault is gone).
    func armedFaults() -> [Value] {
        faults.map { fault in
            [
                "id": .int(fault.id), "vendor": fault.vendor.map { .string($0.rawValue) } ?? .null,
                "method": fault.method.map(Value.string) ?? .null, "path": fault.path.map(Value.string) ?? .null,
                "action": .string(fault.action.rawValue), "remaining": .int(fault.remaining),
            ]
        }
    }

    func record(_ entry: LoggedRequest) {
        var entry = entry
        logSequence += 1
        entry.sequence = logSequence
        log.append(entry)
        if log.count > 200_000 { log.removeFirst(log.count - 200_000) }
    }

    func requestLog() -> [Value] {
        log.map(\.value)
    }

    func clearLog() {
        log = []
    }

    /// Marks a lerian-reporter connection as used by a job for the next `calls` writes (nil clears).
    func setJob(id: String, calls: Int?) {
        lerianJobs[id] = calls
    }

    /// Whether a job holds the connection now; consumes one call.
    func consumeJob(_ id: String) -> Bool {
        guard let remaining = lerianJobs[id], remaining > 0 else { return false }
        lerianJobs[id] = remaining - 1 == 0 ? nil : remaining - 1
        return true
    }

    /// Whether a wix-data call over the per-token limit must be refused.
    func wixLimited(token: String) -> Bool {
        guard let limit = wixRateLimit else { return false }
        let now = Date()
        let window = limit.per.seconds
        var calls = (wixCalls[token] ?? []).filter { now.timeIntervalSince($0) < window }
        if calls.count >= limit.count {
            wixCalls[token] = calls
            return true
        }
        calls.append(now)
        wixCalls[token] = calls
        return false
    }

    func reset() {
        wiremock = OrderedStore()
        wiremockOwner = [:]
        wiremockByName = [:]
        lerian = [:]
        lerianByName = [:]
        lerianJobs = [:]
        credible = [:]
        datafor = OrderedStore()
        dataforIDs = [:]
        wix = OrderedStore()
        wixCalls = [:]
        faults = []
        log = []
        persist()
    }

    // MARK: snapshot (admin state, --data persistence)

    /// Every stored object per vendor, write-only fields included, in the seed format.
    func snapshot() -> Value {
        var wiremockItems: [Value] = []
        for id in wiremock.orderedKeys() {
            guard var object = wiremock[id] else { continue }
            object["userId"] = .string(wiremockOwner[id] ?? "")
            wiremockItems.append(object)
        }
        var lerianItems: [Value] = []
        for tenant in lerian.keys.sorted() {
            for object in lerian[tenant]!.orderedValues() {
                var copy = object
                if !tenant.isEmpty { copy["tenantId"] = .string(tenant) }
                lerianItems.append(copy)
            }
        }
        var credibleItems: [Value] = []
        for project in credible.keys.sorted() {
            for object in credible[project]!.orderedValues() {
                var copy = object
                copy["project"] = .string(project)
                credibleItems.append(copy)
            }
        }
        return [
            "wiremock-cloud": .array(wiremockItems),
            "lerian-reporter": .array(lerianItems),
            "credible-data": .array(credibleItems),
            "datafor": .array(datafor.orderedValues()),
            "wix-data": .array(wix.orderedValues()),
        ]
    }

    /// Adds objects given in each vendor's own shape (ids and timestamps assigned when absent).
    func seed(_ data: Value) throws(AdminError) {
        for item in data["wiremock-cloud"]?.arrayValue ?? [] {
            var object = item
            let owner = object["userId"]?.stringValue ?? "demo"
            object["userId"] = nil
            guard let name = object["connectionName"]?.stringValue else { throw AdminError("a wiremock-cloud object needs connectionName") }
            let id = object["id"]?.stringValue ?? newID()
            object["id"] = .string(id)
            object["links"] = nil
            if let previous = wiremockByName[name], previous != id { throw AdminError("wiremock-cloud connectionName \(name) exists") }
            wiremock.put(id, object)
            wiremockOwner[id] = owner
            wiremockByName[name] = id
        }
        for item in data["lerian-reporter"]?.arrayValue ?? [] {
            var object = item
            let tenant = object["tenantId"]?.stringValue ?? ""
            object["tenantId"] = nil
            guard let name = object["configName"]?.stringValue else { throw AdminError("a lerian-reporter object needs configName") }
            let id = object["id"]?.stringValue ?? newUUID()
            object["id"] = .string(id)
            let now = Timestamps.now()
            if object["createdAt"] == nil { object["createdAt"] = .string(now) }
            if object["updatedAt"] == nil { object["updatedAt"] = .string(now) }
            if object["productName"] == nil { object["productName"] = "demo" }
            lerian[tenant, default: OrderedStore()].put(id, object)
            if object["deletedAt"] == nil { lerianByName[tenant, default: [:]][name] = id }
        }
        for item in data["credible-data"]?.arrayValue ?? [] {
            var object = item
            let project = object["project"]?.stringValue ?? "demo"
            object["project"] = nil
            guard let name = object["name"]?.stringValue else { throw AdminError("a credible-data object needs name") }
            credible[project, default: OrderedStore()].put(name, CredibleData.stored(object, project: project, name: name))
        }
        for item in data["datafor"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue else { throw AdminError("a datafor object needs name") }
            var object = Datafor.withDefaults(item)
            let id = object["id"]?.stringValue ?? newUUID()
            object["id"] = .string(id)
            datafor.put(name, object)
            dataforIDs[id] = name
        }
        for item in data["wix-data"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue else { throw AdminError("a wix-data object needs name") }
            wix.put(name, WixData.stored(item, name: name))
        }
        persist()
    }

    /// Writes the snapshot to `--data FILE` (write to a temp file, then rename).
    func persist() {
        guard let dataFile else { return }
        guard let data = try? snapshot().jsonData(secrets: .reveal, pretty: true) else { return }
        let url = URL(fileURLWithPath: dataFile)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw AdminError("cannot write \(dataFile)") }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    func load() throws(AdminError) {
        guard let dataFile, FileManager.default.fileExists(atPath: dataFile) else { return }
        guard let data = FileManager.default.contents(atPath: dataFile), let value = try? Value(json: data) else {
            throw AdminError("cannot read --data \(dataFile): not the emulator's JSON")
        }
        try seed(value)
    }
}

/// A bad admin request.
struct AdminError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}
