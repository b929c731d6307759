import ConnSyncModel

/// What a change does to one remote connection. Each case owns its glyph, as in
/// Terraform's plans package.
public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
    case noOp = "no-op"
    case create
    case update
    /// An update that replaces the whole remote object (a PUT of all of it).
    case replace
    case delete

    /// The glyph of plan lines: `+ ~ -` (a replace is `~`, as cli.md's example plan shows).
    public var glyph: String {
        switch self {
        case .noOp: return " "
        case .create: return "+"
        case .update, .replace: return "~"
        case .delete: return "-"
        }
    }

    public var isChange: Bool { self != .noOp }
}

/// The exact request a change sends, relative to the provider's base URL.
///
/// `body` may hold `.secret` leaves: it is serialized with secrets revealed only
/// by the provider that sends it; every view masks them.
public struct RequestSpec: Sendable, Hashable {
    public var method: String
    /// Path and query, percent-encoded, starting with `/` (appended to the base URL).
    public var path: String
    /// Extra headers the vendor needs (e.g. `X-Product-Name`); never auth headers.
    public var headers: [String: String]
    public var body: Value?

    public init(method: String, path: String, headers: [String: String] = [:], body: Value? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// One field-level difference, in connsync's normalized view of a connection.
public struct FieldDiff: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case add
        case change
        case remove
    }

    public var path: FieldPath
    /// The remote value; nil when the field is absent remotely (or write-only).
    public var before: Value?
    /// The desired value; nil when the change removes the field.
    public var after: Value?
    /// Whether the values are secret: views show `(sensitive)` in their place.
    public var isSensitive: Bool
    /// Why the line is there when it is not obvious (e.g. "not in desired state: removed by PUT").
    public var note: String?
    /// For sensitive values, what the plan says instead of a value (e.g. "sensitive value changed").
    public var sensitiveSummary: String?

    public var kind: Kind

    /// `kind` defaults to what `before`/`after` say: add (no before), remove (no after), else change.
    public init(
        path: FieldPath, before: Value?, after: Value?, isSensitive: Bool = false, note: String? = nil,
        sensitiveSummary: String? = nil, kind: Kind? = nil
    ) {
        self.path = path
        self.before = before
        self.after = after
        self.isSensitive = isSensitive
        self.note = note
        self.sensitiveSummary = sensitiveSummary
        self.kind = kind ?? (before == nil ? .add : (after == nil ? .remove : .change))
    }
}

extension FieldDiff {
    /// The order plans list fields in: the common fields in the format's order
    /// (engine, host, port, database, username, password, schema, ssl), then labels,
    /// then the vendor's own fields alphabetically.
    public static func displayOrder(_ lhs: FieldDiff, _ rhs: FieldDiff) -> Bool {
        let left = rank(lhs.path)
        let right = rank(rhs.path)
        return left != right ? left < right : lhs.path < rhs.path
    }

    static func rank(_ path: FieldPath) -> Int {
        guard let key = path.components.first.flatMap({ component -> String? in
            if case .key(let key) = component { return key }
            return nil
        }) else { return 100 }
        if let field = CommonField(rawValue: key) { return CommonField.allCases.firstIndex(of: field)! }
        return key == "labels" ? 50 : 100
    }
}

/// What connsync will record in its state after the change succeeds.
public struct RecordUpdate: Sendable, Hashable {
    /// Keyed hashes of the secrets the remote holds after the change, by normalized field path.
    public var secretHashes: [String: String]
    /// Keyed hash of the whole desired value applied (``SecretHasher/appliedValueHash(_:of:known:)``
    /// of the change's `after`). Nil when the plan was made without fingerprints: whoever
    /// records the change works it out then, for the records it actually writes.
    public var appliedValueHash: String?
    public var isCreatedByConnsync: Bool

    public init(secretHashes: [String: String], appliedValueHash: String?, isCreatedByConnsync: Bool) {
        self.secretHashes = secretHashes
        self.appliedValueHash = appliedValueHash
        self.isCreatedByConnsync = isCreatedByConnsync
    }
}

/// One planned change to one connection: what differs and the exact request that
/// converges it, so that apply does what the plan printed.
public struct Change: Sendable, Hashable {
    public var address: Address
    public var vendor: VendorType
    /// The vendor's id for the connection, when it has one and it is known.
    public var remoteID: String?
    public var action: Action
    /// The request apply sends; nil for `.noOp`.
    public var request: RequestSpec?
    public var diffs: [FieldDiff]
    /// The remote connection in the normalized view (nil when it does not exist).
    public var before: Value?
    /// The desired connection in the normalized view (nil for a delete). Holds `.secret` leaves.
    public var after: Value?
    /// Paths whose values are masked in `before`/`after`: given, or (as the planner leaves
    /// them) worked out from ``sensitivity`` when asked for: most plans are mostly no-ops,
    /// and most views never show them.
    public var sensitivePaths: [FieldPath] {
        decidedPaths ?? Array(Set(sensitivity.sensitivePaths(in: before ?? .null) + sensitivity.sensitivePaths(in: after ?? .null))).sorted()
    }
    private var decidedPaths: [FieldPath]?
    /// The rule the planner decided with; ``masked()`` applies it to the request body.
    public var sensitivity: Sensitivity
    /// Notes shown under the change (skipped inherited fields, ...).
    public var notes: [String]
    /// When set, apply refuses this change and reports this reason (nothing is sent).
    public var refusal: String?
    /// What state records once the change succeeded (nil for deletes).
    public var recordUpdate: RecordUpdate?

    /// - Parameter sensitivePaths: nil: worked out from `sensitivity`, `before` and `after`
    ///   when asked for.
    public init(
        address: Address,
        vendor: VendorType,
        remoteID: String? = nil,
        action: Action,
        request: RequestSpec? = nil,
        diffs: [FieldDiff] = [],
        before: Value? = nil,
        after: Value? = nil,
        sensitivePaths: [FieldPath]? = [],
        sensitivity: Sensitivity = Sensitivity(),
        notes: [String] = [],
        refusal: String? = nil,
        recordUpdate: RecordUpdate? = nil
    ) {
        self.address = address
        self.vendor = vendor
        self.remoteID = remoteID
        self.action = action
        self.request = request
        self.diffs = diffs
        self.before = before
        self.after = after
        decidedPaths = sensitivePaths
        self.sensitivity = sensitivity
        self.notes = notes
        self.refusal = refusal
        self.recordUpdate = recordUpdate
    }

    /// The change as every view shows it: in `before`/`after` the sensitive paths and every
    /// secret hold `"(sensitive)"`; a sensitive diff's values are the mask; the request
    /// body is masked by the same rule. Nothing in it can reveal a secret.
    public func masked() -> Change {
        var copy = self
        // Decided now, from the values before they are masked.
        copy.decidedPaths = sensitivePaths
        let mask = Value.string(Sensitive<String>.mask)
        let paths = Set(copy.sensitivePaths + diffs.filter(\.isSensitive).map(\.path))
        copy.before = before?.masking(paths: paths)
        copy.after = after?.masking(paths: paths)
        copy.diffs = diffs.map { diff in
            var shown = diff
            shown.before = diff.before.map { diff.isSensitive ? mask : $0.masked }
            shown.after = diff.after.map { diff.isSensitive ? mask : $0.masked }
            return shown
        }
        if var request, let body = request.body {
            request.body = body.masking(paths: sensitivity.sensitivePaths(in: body))
            copy.request = request
        }
        return copy
    }

    /// The keyed hash of the whole desired value this change applies, as state records it:
    /// the one the plan carries (a plan made with fingerprints), else worked out now from
    /// `after`, the same way. Nil for a delete. The one place the hash is made.
    public func appliedValueHash(_ hasher: SecretHasher) -> String? {
        guard let update = recordUpdate else { return nil }
        if let hash = update.appliedValueHash { return hash }
        return after.map { hasher.appliedValueHash($0, of: address, known: update.secretHashes) }
    }

    /// The words of the plan line: `update in place (PATCH)`, `create (POST)`, ...
    public var actionDescription: String {
        let method = request.map { " (\($0.method))" } ?? ""
        switch action {
        case .noOp: return "no changes"
        case .create: return "create\(method)"
        case .update: return "update in place\(method)"
        case .replace: return "replace whole object\(method)"
        case .delete: return "delete\(method)"
        }
    }
}

/// A problem that keeps one connection (or a whole provider) from being planned.
public struct PlanProblem: Sendable, Hashable, CustomStringConvertible {
    /// The connection concerned; nil when the whole provider failed.
    public var address: Address?
    public var provider: String
    public var message: String

    public init(address: Address?, provider: String, message: String) {
        self.address = address
        self.provider = provider
        self.message = message
    }

    public var description: String {
        "\(address?.description ?? provider): \(message)"
    }
}

/// Counts of a plan, as its summary line prints them.
public struct PlanSummary: Sendable, Hashable, Codable {
    public var create: Int
    public var update: Int
    public var delete: Int
    public var unchanged: Int

    public init(create: Int = 0, update: Int = 0, delete: Int = 0, unchanged: Int = 0) {
        self.create = create
        self.update = update
        self.delete = delete
        self.unchanged = unchanged
    }

    /// Changes that do something: created, updated (in place or replaced) and deleted.
    public var changes: Int { create + update + delete }

    public var hasChanges: Bool { changes > 0 }
}

extension PlanSummary {
    /// The counts as the summary line and the Markdown headline say them.
    public var counts: String {
        "\(create) to create, \(update) to update, \(delete) to delete, \(unchanged) unchanged"
    }
}

/// The result of planning: every connection's change (no-ops included), the problems
/// met, and fingerprints that let a saved plan detect that anything moved since.
public struct Plan: Sendable, Hashable {
    public var source: SourceInfo
    /// Sorted by address; includes `.noOp` changes.
    public var changes: [Change]
    public var problems: [PlanProblem]
    /// Notes about the whole plan (what is left alone, ...).
    public var notes: [String]
    /// State records of connections connsync created that are gone at the vendor: dropped on apply.
    public var recordsToDrop: [Address]
    /// Hash of everything observed remotely, in scope.
    public var remoteFingerprint: String
    /// Keyed hash of the desired state in scope (secrets included only through keyed hashes).
    public var desiredFingerprint: String
    public var providerCount: Int
    public var connectionCount: Int
    /// The providers this plan had to observe (after `--target`), sorted.
    public var providersInScope: [String]
    /// Per connection and per provider: what a refused saved plan names as having moved.
    public var fingerprintsByConnection: [Address: ConnectionFingerprint]
    public var remoteFingerprintsByProvider: [String: String]

    public init(
        source: SourceInfo, changes: [Change], problems: [PlanProblem] = [], notes: [String] = [],
        recordsToDrop: [Address] = [], remoteFingerprint: String = "", desiredFingerprint: String = "", providerCount: Int = 0,
        connectionCount: Int = 0, providersInScope: [String] = [], fingerprintsByConnection: [Address: ConnectionFingerprint] = [:],
        remoteFingerprintsByProvider: [String: String] = [:]
    ) {
        self.source = source
        self.changes = changes.sorted { $0.address < $1.address }
        self.problems = problems
        self.notes = notes
        self.recordsToDrop = recordsToDrop
        self.remoteFingerprint = remoteFingerprint
        self.desiredFingerprint = desiredFingerprint
        self.providerCount = providerCount
        self.connectionCount = connectionCount
        self.providersInScope = providersInScope
        self.fingerprintsByConnection = fingerprintsByConnection
        self.remoteFingerprintsByProvider = remoteFingerprintsByProvider
    }

    /// Whether every provider in scope was observed and every connection planned. An
    /// incomplete plan never reads as "No changes" (cli.md v1.1, "Honest summaries").
    public var isComplete: Bool { problems.isEmpty }

    /// The providers that failed: not observed, refused, or with a connection that could not
    /// be planned (a `--target` that matched nothing counts against its provider).
    public var failedProviders: [String] {
        Set(problems.map(\.provider)).sorted()
    }

    /// M of "P of M providers failed": the providers in scope, and any a problem names.
    public var providersConsidered: Int {
        Set(providersInScope).union(problems.map(\.provider)).count
    }

    public var summary: PlanSummary {
        var result = PlanSummary()
        for change in changes {
            switch change.action {
            case .noOp: result.unchanged += 1
            case .create: result.create += 1
            case .update, .replace: result.update += 1
            case .delete: result.delete += 1
            }
        }
        return result
    }

    /// The changes that do something. To count them, ask ``summary`` (`changes`,
    /// `hasChanges`), which copies none of them.
    public var actionable: [Change] { changes.filter { $0.action.isChange } }
}
