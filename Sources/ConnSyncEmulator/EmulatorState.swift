import ConnSyncModel
import Foundation

/// Everything the emulator holds: each vendor's state (its objects, write-only
/// fields included), armed faults, rate-limit windows and the request log. All
/// mutation goes through this actor, so every call is atomic.
actor EmulatorState {
    /// Each vendor's state by vendor type name, one per entry of ``EmulatedVendors/all``.
    private var vendors: [String: any VendorEmulation]
    private var ids = IDSource()
    private var limiter = RateLimiter()

    var faults: [Fault] = []
    var nextFaultID = 1
    var log: [LoggedRequest] = []
    var logSequence = 0

    let dataFile: String?
    let credentials: EmulatorCredentials
    let rateLimits: [String: RateLimit]
    let logLimit: Int

    init(configuration: EmulatorConfiguration) {
        logLimit = max(1, configuration.requestLogLimit)
        dataFile = configuration.dataFile
        credentials = configuration.credentials
        rateLimits = configuration.rateLimits
        vendors = Self.emptyVendors()
    }

    private static func emptyVendors() -> [String: any VendorEmulation] {
        var result: [String: any VendorEmulation] = [:]
        for vendor in EmulatedVendors.all { result[vendor.name] = vendor.init() }
        return result
    }

    // MARK: vendor calls

    /// Authenticates the call, applies the vendor's rate limit, and lets the vendor answer.
    func serve(_ vendor: any VendorEmulation.Type, operation: String, request: EmulatorRequest) -> EmulatorResponse {
        let principal: String
        switch vendor.authenticate(request, credentials: credentials[vendor.name]) {
        case .success(let who): principal = who
        case .failure(let answer): return answer
        }
        if let limit = rateLimits[vendor.name], limiter.refuses(vendor.name + "\n" + principal, limit: limit) {
            return vendor.tooManyRequests
        }
        var context = VendorContext(ids: ids)
        // Mutated in place through the dictionary, never through a copy of the vendor's state.
        let answer = vendors[vendor.name]!.handle(request, operation: operation, context: &context)
        ids = context.ids
        if context.changed { persist() }
        return answer
    }

    /// A vendor-specific admin call, answered by the first vendor that knows it.
    func vendorAdmin(_ request: EmulatorRequest) -> EmulatorResponse? {
        for name in EmulatedVendors.names {
            if let answer = vendors[name]!.admin(request) { return answer }
        }
        return nil
    }

    /// Runs `body` on one vendor's state (in-process admin operations of that vendor).
    func update<V: VendorEmulation, R: Sendable>(_ type: V.Type, _ body: @Sendable (inout V) -> R) -> R? {
        guard var vendor = vendors.removeValue(forKey: V.name) as? V else { return nil }
        let result = body(&vendor)
        vendors[V.name] = vendor
        return result
    }

    // MARK: faults, log

    func takeFault(vendor: String, method: String, path: String) -> Fault? {
        guard let index = faults.firstIndex(where: { $0.matches(vendor: vendor, method: method, path: path) }) else { return nil }
        var fault = faults[index]
        fault.remaining -= 1
        if fault.remaining <= 0 { faults.remove(at: index) } else { faults[index] = fault }
        return fault
    }

    func addFault(_ spec: Value) throws(AdminError) -> Int {
        var vendor: String?
        if let name = spec["vendor"]?.stringValue {
            guard EmulatedVendors.named(name) != nil else { throw AdminError("unknown vendor \(name)") }
            vendor = name
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
                "id": .int(fault.id), "vendor": fault.vendor.map(Value.string) ?? .null,
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
        // Trimmed a quarter of the limit at a time: one at a time moved the whole log on every
        // call once it was full.
        if log.count > logLimit + logLimit / 4 { log.removeFirst(log.count - logLimit) }
    }

    /// The newest calls, at most the limit.
    private var kept: ArraySlice<LoggedRequest> { log.suffix(logLimit) }

    func requestLog() -> [Value] {
        kept.map(\.value)
    }

    func clearLog() {
        log = []
    }

    /// How many calls the log holds, how many write, and when the first and last arrived.
    func requestSummary() -> Value {
        [
            "count": .int(kept.count), "writes": .int(kept.count { $0.method != "GET" }),
            "firstAt": kept.map(\.arrivedAt).min().map(Value.double) ?? .null, "lastAt": kept.map(\.arrivedAt).max().map(Value.double) ?? .null,
        ]
    }

    /// Clears every vendor's objects, the rate-limit windows, faults and the log (ids keep counting).
    func reset() {
        vendors = Self.emptyVendors()
        limiter = RateLimiter()
        faults = []
        log = []
        persist()
    }

    // MARK: snapshot and seed (admin state, --data persistence)

    /// Every stored object per vendor, write-only fields included, in the seed format.
    func snapshot() -> Value {
        var result: [String: Value] = [:]
        for name in EmulatedVendors.names {
            result[name] = .array(vendors[name]!.snapshot())
        }
        return .object(result)
    }

    /// Adds objects given in each vendor's own shape (ids and timestamps assigned when absent).
    func seed(_ data: Value) throws(AdminError) {
        var context = VendorContext(ids: ids)
        defer { ids = context.ids }
        for name in EmulatedVendors.names {
            guard let items = data[name]?.arrayValue, !items.isEmpty else { continue }
            try vendors[name]!.seed(items, context: &context)
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
