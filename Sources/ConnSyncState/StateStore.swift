import ConnSyncModel
import Foundation

/// What state remembers of one connection. Never a secret in clear: secrets only
/// as keyed hashes (HMAC-SHA256 with the state's random key).
public struct ConnectionRecord: Sendable, Hashable, Codable {
    public var address: Address
    public var vendor: VendorType
    public var remoteID: String?
    /// Only connections connsync created may ever be deleted by it (`prune: true`).
    public var isCreatedByConnsync: Bool
    /// Keyed hashes of the secrets last applied, by normalized field path (`password`, `ssl.ca`, ...).
    public var secretHashes: [String: String]
    /// Keyed hash of the whole desired value last applied.
    public var appliedValueHash: String?
    /// The commit of the desired state last applied.
    public var lastCommit: String?
    public var updatedAt: Date
    /// A change being sent: written before its request goes out, cleared when its outcome is
    /// recorded. Found on a later run, it means that run was interrupted (see ``PendingOperation``).
    public var pending: PendingOperation?

    public init(
        address: Address, vendor: VendorType, remoteID: String?, isCreatedByConnsync: Bool, secretHashes: [String: String],
        appliedValueHash: String?, lastCommit: String?, updatedAt: Date, pending: PendingOperation? = nil
    ) {
        self.address = address
        self.vendor = vendor
        self.remoteID = remoteID
        self.isCreatedByConnsync = isCreatedByConnsync
        self.secretHashes = secretHashes
        self.appliedValueHash = appliedValueHash
        self.lastCommit = lastCommit
        self.updatedAt = updatedAt
        self.pending = pending
    }
}

/// A change whose request may have gone out without its outcome being recorded (write-ahead,
/// cli.md v1.1): the record is written before the request, so that a run killed mid-apply
/// leaves state that matches the vendors.
public enum PendingOperation: String, Sendable, Hashable, Codable {
    /// A create: the record says "created by connsync" (so prune can remove it) and holds the
    /// hashes of the secrets sent; a later run that finds the connection adopts it.
    case create
    /// An update: the record keeps the secret hashes from before, so whatever was not applied
    /// is sent again.
    case update
    /// A delete: a later run that finds the connection gone drops the record.
    case delete
}

/// Who holds (or held) the state lock.
public struct LockHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    public var id: String
    public var host: String
    public var pid: Int32
    public var command: String
    public var startedAt: Date
    public var heartbeatAt: Date

    public init(id: String = UUID().uuidString, host: String, pid: Int32, command: String, startedAt: Date, heartbeatAt: Date) {
        self.id = id
        self.host = host
        self.pid = pid
        self.command = command
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }

    public var description: String {
        "\(command) (pid \(pid) on \(host), since \(Self.format(startedAt)), last heartbeat \(Self.format(heartbeatAt)))"
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// How to take the lock.
public struct LockOptions: Sendable, Hashable {
    /// How long to wait for a held lock before giving up.
    public var timeout: Duration
    /// A holder whose heartbeat is older than this is gone (cli.md: 2 min).
    public var ttl: Duration
    public var pollInterval: Duration

    public init(timeout: Duration = .seconds(30), ttl: Duration = .seconds(120), pollInterval: Duration = .milliseconds(250)) {
        self.timeout = timeout
        self.ttl = ttl
        self.pollInterval = pollInterval
    }
}

/// A lock this process holds.
public struct AcquiredLock: Sendable, Hashable {
    public var holder: LockHolder
    /// The stale holder this acquisition replaced, if any.
    public var tookOverFrom: LockHolder?

    public init(holder: LockHolder, tookOverFrom: LockHolder?) {
        self.holder = holder
        self.tookOverFrom = tookOverFrom
    }
}

/// One change of an apply, as history keeps it.
public struct HistoryChange: Sendable, Hashable, Codable {
    public var address: Address
    public var action: String
    /// `ok`, `failed` or `refused`.
    public var outcome: String
    public var message: String?

    public init(address: Address, action: String, outcome: String, message: String?) {
        self.address = address
        self.action = action
        self.outcome = outcome
        self.message = message
    }
}

/// One apply, appended to the state's history (never rewritten).
public struct HistoryEntry: Sendable, Hashable, Codable {
    public var id: Int64?
    public var startedAt: Date
    public var finishedAt: Date
    public var command: String
    public var commit: String?
    public var source: String
    public var host: String
    public var created: Int
    public var updated: Int
    public var deleted: Int
    public var failed: Int
    public var changes: [HistoryChange]

    public init(
        id: Int64?, startedAt: Date, finishedAt: Date, command: String, commit: String?, source: String, host: String,
        created: Int, updated: Int, deleted: Int, failed: Int, changes: [HistoryChange]
    ) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.command = command
        self.commit = commit
        self.source = source
        self.host = host
        self.created = created
        self.updated = updated
        self.deleted = deleted
        self.failed = failed
        self.changes = changes
    }
}

/// Where connsync keeps state: records, the HMAC key, the lock and the history.
/// SQLite (embedded default) and PostgreSQL (shared by runners) pass one test suite.
public protocol StateStore: Sendable {
    /// Every record, sorted by address.
    func records() async throws -> [ConnectionRecord]
    func record(for address: Address) async throws -> ConnectionRecord?
    /// Inserts or replaces `upserts` and removes `removals`, all in one transaction, with
    /// no round trip per record. Fails (writing nothing) when the state file vanished or was
    /// emptied since it was opened.
    func commit(upserts: [ConnectionRecord], removals: [Address]) async throws
    /// The state's 32-byte HMAC key, created at random on first use.
    func secretKey() async throws -> [UInt8]

    /// Takes the exclusive lock, waiting up to `options.timeout`; takes over a stale lock
    /// (holder process gone on this host, or heartbeat older than `options.ttl`), saying so.
    func acquireLock(_ holder: LockHolder, options: LockOptions) async throws -> AcquiredLock
    /// Refreshes the heartbeat; fails if the lock was taken from us.
    func heartbeat(_ lock: AcquiredLock) async throws
    func releaseLock(_ lock: AcquiredLock) async throws
    func currentLock() async throws -> LockHolder?
    /// Removes whatever lock is held, returning its holder.
    func forceUnlock() async throws -> LockHolder?

    func appendHistory(_ entry: HistoryEntry) async throws -> Int64
    /// Newest first.
    func history(limit: Int) async throws -> [HistoryEntry]

    func close() async throws

    /// What opening the store did that a user should know: a new state created, permissions
    /// tightened. Shown on stderr by the CLI.
    var openingNotes: [String] { get }
}

extension StateStore {
    /// Inserts or replaces, all in one transaction.
    public func upsert(_ records: [ConnectionRecord]) async throws {
        guard !records.isEmpty else { return }
        try await commit(upserts: records, removals: [])
    }

    public func remove(_ addresses: [Address]) async throws {
        guard !addresses.isEmpty else { return }
        try await commit(upserts: [], removals: addresses)
    }

    public var openingNotes: [String] { [] }
}

/// Problems with state, each saying what to do.
public enum StateError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidLocation(String)
    case lockTimeout(holder: LockHolder, waited: Duration)
    case lockLost(LockHolder)
    case newerSchema(location: String, found: String)
    case storage(location: String, message: String)
    /// The state file exists but holds nothing: taken for new state, it would forget every record.
    case emptyFile(path: String)
    /// The state file was deleted, emptied or replaced while connsync had it open.
    case fileChanged(path: String, what: String)

    public var description: String {
        switch self {
        case .invalidLocation(let text):
            return "invalid --state \(text): use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        case .lockTimeout(let holder, let waited):
            return "the state is locked by \(holder); gave up after waiting \(Self.seconds(waited)). "
                + "Wait for it to finish, raise --lock-timeout, or, if that run is gone, run `connsync state unlock --force`"
        case .lockLost(let holder):
            return "the state lock held as \(holder.id) was taken over by another run; stop and plan again"
        case .newerSchema(let location, let found):
            return "the state at \(location) was written by a newer connsync (schema \(found)); upgrade connsync to use it"
        case .storage(let location, let message):
            return "state \(location): \(message)"
        case .emptyFile(let path):
            return "the state file \(path) is empty (0 bytes), so it is not taken as new state: restore it from a backup, "
                + "or delete it to start afresh (connsync then forgets which connections it created)"
        case .fileChanged(let path, let what):
            return "the state file \(path) \(what) while connsync was using it; nothing more was recorded. "
                + "Restore it, then run `connsync plan` to see where the vendors stand"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let components = duration.components
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }
}

/// `--state`: `sqlite:PATH` or `postgres://…`.
public enum StateLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public static let defaultValue = "sqlite:.connsync/state.db"

    public init(parsing text: String) throws(StateError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: trimmed), components.host?.isEmpty == false else {
                throw StateError.invalidLocation(Self.redact(trimmed))
            }
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw StateError.invalidLocation(trimmed) }
            self = .sqlite(path: path)
        } else {
            throw StateError.invalidLocation(Self.redact(trimmed))
        }
    }

    /// For messages: the PostgreSQL password masked.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url): return Self.redact(url)
        }
    }

    /// For plan headers (cli.md v1.1): a SQLite path made absolute, a PostgreSQL URL without
    /// its credentials (user and password).
    public var shown: String {
        switch self {
        case .sqlite(let path):
            return "sqlite:" + URL(fileURLWithPath: path).standardizedFileURL.path
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://****" }
            components.user = nil
            components.password = nil
            components.query = components.queryItems?.filter { $0.name == "schema" }.isEmpty == false
                ? "schema=" + (components.queryItems?.first { $0.name == "schema" }?.value ?? "") : nil
            return components.string ?? "postgres://****"
        }
    }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "****"
        return components.string ?? "postgres://****"
    }
}

/// Facts about processes, injected so lock staleness is testable.
public protocol ProcessEnvironment: Sendable {
    var hostName: String { get }
    var processID: Int32 { get }
    /// Whether a process with this pid exists on this host.
    func isAlive(_ pid: Int32) -> Bool
}

public struct SystemProcessEnvironment: ProcessEnvironment {
    public init() {}

    public var hostName: String { ProcessInfo.processInfo.hostName }
    public var processID: Int32 { ProcessInfo.processInfo.processIdentifier }

    public func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

/// Whether `holder` may be taken over (cli.md): on this host with its process gone, or
/// with a heartbeat older than the TTL.
func isStale(_ holder: LockHolder, now: Date, ttl: Duration, environment: any ProcessEnvironment) -> Bool {
    if holder.host == environment.hostName, holder.pid != environment.processID, !environment.isAlive(holder.pid) {
        return true
    }
    let components = ttl.components
    let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
    return now.timeIntervalSince(holder.heartbeatAt) > seconds
}

/// Opens the store `location` names, creating and migrating it on first use.
public func openStateStore(
    _ location: StateLocation, clock: any ConnSyncClock = SystemClock(),
    environment: any ProcessEnvironment = SystemProcessEnvironment()
) async throws -> any StateStore {
    switch location {
    case .sqlite(let path):
        return try SQLiteStateStore(path: path, clock: clock, environment: environment)
    case .postgres(let url):
        return try await PostgresStateStore.connect(url: url, clock: clock, environment: environment)
    }
}

/// A record's secret hashes as stored: a JSON object, keys sorted. (Foundation's
/// JSONEncoder costed ~10 µs per record, most of the time of recording 5,000 changes.)
func encodeHashes(_ hashes: [String: String]) -> String {
    Value.object(hashes.mapValues(Value.string)).jsonString()
}

/// A history entry's changes as stored: `[{address: {provider, name}, action, outcome,
/// message?}]` (``decodeHistoryChanges(_:)`` reads it back). Written one change at a time:
/// a value tree of every change at once (two dictionaries each) was the peak of an apply's
/// memory at 50,000 changes, ≈ 40 MB more for the last ~100 ms.
func encodeHistoryChanges(_ changes: [HistoryChange]) -> String {
    var text = "["
    text.reserveCapacity(2 + changes.count * 96)
    for (index, change) in changes.enumerated() {
        if index > 0 { text += "," }
        text += historyChangeValue(change).jsonString()
    }
    return text + "]"
}

/// One history change as stored: `{address: {provider, name}, action, outcome, message?}`.
func historyChangeValue(_ change: HistoryChange) -> Value {
    var fields: [String: Value] = [
        "address": ["name": .string(change.address.name), "provider": .string(change.address.provider)],
        "action": .string(change.action), "outcome": .string(change.outcome),
    ]
    if let message = change.message { fields["message"] = .string(message) }
    return .object(fields)
}

/// A history entry's changes read back with connsync's JSON parser (the one JSON read path);
/// an entry without an address, action or outcome is left out.
func decodeHistoryChanges(_ text: String) -> [HistoryChange] {
    guard let value = try? Value(json: text), case .array(let items) = value else { return [] }
    return items.compactMap { item in
        guard let provider = item[path: "address.provider"]?.stringValue, let name = item[path: "address.name"]?.stringValue,
            let action = item["action"]?.stringValue, let outcome = item["outcome"]?.stringValue
        else { return nil }
        return HistoryChange(address: Address(provider: provider, name: name), action: action, outcome: outcome, message: item["message"]?.stringValue)
    }
}

/// The secret hashes column (a JSON object of strings), read back with connsync's JSON parser.
func decodeHashes(_ text: String) -> [String: String] {
    guard let value = try? Value(json: text), case .object(let fields) = value else { return [:] }
    return fields.compactMapValues(\.stringValue)
}
