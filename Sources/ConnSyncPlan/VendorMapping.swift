import ConnSyncModel

/// One connection object as a vendor's list call returned it.
public struct RemoteObject: Sendable, Hashable {
    /// The vendor's id, for vendors that key connections by an opaque id.
    public var id: String?
    /// The name connsync matches desired connections by.
    public var name: String
    /// The object exactly as the vendor returned it.
    /// The planner normalizes it when it plans the connection (in parallel, per connection),
    /// and keeps the view only in a change that needs it: holding a view of every remote
    /// object from the list onwards cost ≈ 60 MiB at 50,000 connections.
    public let raw: Value

    public init(id: String?, name: String, raw: Value) {
        self.id = id
        self.name = name
        self.raw = raw
    }

    /// Identity is what the vendor returned; the derived fields follow from it.
    public static func == (lhs: RemoteObject, rhs: RemoteObject) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.raw == rhs.raw
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(name)
        hasher.combine(raw)
    }
}

/// What observing one provider gave: every remote connection, or why it failed.
public enum ProviderObservation: Sendable, Hashable {
    case observed([RemoteObject])
    case failed(String)

    public var isObserved: Bool {
        if case .observed = self { return true }
        return false
    }
}

/// What state remembers of a connection, as far as planning needs it.
public struct PriorRecord: Sendable, Hashable {
    public var address: Address
    public var remoteID: String?
    public var isCreatedByConnsync: Bool
    /// Keyed hashes of secrets last applied, by normalized field path (`password`, `ssl.ca`, ...).
    public var secretHashes: [String: String]
    /// `create`, `update` or `delete` when an earlier apply was interrupted while sending that
    /// change (its outcome was never recorded); nil otherwise.
    public var interrupted: String?

    public init(address: Address, remoteID: String?, isCreatedByConnsync: Bool, secretHashes: [String: String], interrupted: String? = nil) {
        self.address = address
        self.remoteID = remoteID
        self.isCreatedByConnsync = isCreatedByConnsync
        self.secretHashes = secretHashes
        self.interrupted = interrupted
    }
}

/// Where a vendor's objects keep their name and their id.
public struct IdentityKeys: Sendable, Hashable {
    /// The key of the name connsync matches desired connections by.
    public var name: String
    /// The key of the vendor's opaque id; nil for vendors keyed by name.
    public var id: String?

    public init(name: String, id: String? = nil) {
        self.name = name
        self.id = id
    }
}

/// Why a request cannot be built for a connection (a plan problem, not a crash).
public struct MappingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// What an update request is built from.
public struct UpdateContext: Sendable {
    public var connection: DesiredConnection
    public var provider: ProviderConfig
    /// The desired object in the vendor's shape (options merged), with `.secret` leaves.
    public var desiredObject: Value
    public var remote: RemoteObject
    /// Normalized paths that differ (secrets included).
    public var changedPaths: [FieldPath]
    /// Normalized paths of write-only secrets to send (changed or never applied by connsync).
    public var secretsToSend: Set<FieldPath>

    public init(
        connection: DesiredConnection, provider: ProviderConfig, desiredObject: Value, remote: RemoteObject,
        changedPaths: [FieldPath], secretsToSend: Set<FieldPath>
    ) {
        self.connection = connection
        self.provider = provider
        self.desiredObject = desiredObject
        self.remote = remote
        self.changedPaths = changedPaths
        self.secretsToSend = secretsToSend
    }
}

/// One vendor's pure mapping between connsync's desired connections and the
/// vendor's objects and requests. No I/O: the provider sends what this builds,
/// the planner decides with it.
///
/// The *normalized view* is what plans diff and show: the common fields under
/// connsync's names (`engine`, `host`, `port`, `database`, `username`, `password`,
/// `schema`, `ssl.*`, `labels`) and everything else under the vendor's own names;
/// identity, read-only and derived fields removed.
public protocol VendorMapping: Sendable {
    var vendor: VendorType { get }
    /// `.update` (PATCH/POST merge) or `.replace` (PUT of the whole object).
    var updateAction: Action { get }
    /// The note on a field the update removes (below ``exactPaths(desired:)``).
    var removalNote: String { get }

    /// Where a raw remote object keeps its name and id.
    var identityKeys: IdentityKeys { get }

    /// The id and name of a raw remote object; nil when it has no readable name.
    func identity(of raw: Value) -> (id: String?, name: String)?

    /// The remote object in the normalized view.
    func normalize(_ raw: Value) -> Value

    /// The desired connection in the vendor's own shape, `spec.options` deep-merged in
    /// (options win on a conflict); includes `.secret` leaves.
    func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value

    /// Normalized paths where the desired state is authoritative down to absence: a
    /// remote key below such a path that the desired view lacks is removed by the update.
    func exactPaths(desired: Value) -> [FieldPath]

    /// Whether the vendor never returns the field at this normalized path (a write-only secret).
    func isWriteOnly(_ path: FieldPath) -> Bool

    /// Key names the vendor uses for secrets that the word rules of ``SecretKeys`` do not
    /// catch: masked in every view.
    var secretKeyNames: Set<String> { get }

    /// Secrets (normalized paths) that an update would clear because the desired state
    /// does not declare them (a vendor whose update replaces a block whole); empty for most.
    func secretsClearedByUpdate(desired: Value, remote: RemoteObject, prior: PriorRecord?) -> [FieldPath]

    /// Why the vendor lets no one write this remote object (e.g. it is provisioned read-only),
    /// or nil: a change to it is refused by the plan, with this reason.
    func readOnlyReason(_ remote: RemoteObject) -> String?

    /// Whether the provider's writes read a change's `before` and `after` views (e.g. to
    /// compare what it reads back before it writes): its changes keep them in every plan.
    var sendsFromViews: Bool { get }

    /// Notes about a provider's whole list (e.g. it holds exactly the vendor's cap).
    func listNotes(_ objects: [RemoteObject]) -> [String]

    /// Notes shown under a change of this action (e.g. what a delete takes with it).
    func changeNotes(_ action: Action, remote: RemoteObject?) -> [String]

    func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec
    func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec
    func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec
}

extension VendorMapping {
    public var removalNote: String {
        updateAction == .replace ? "not in desired state: removed by the update" : "not in desired state: cleared by the update"
    }

    public func identity(of raw: Value) -> (id: String?, name: String)? {
        guard let name = raw[identityKeys.name]?.stringValue else { return nil }
        guard let idKey = identityKeys.id, let id = raw[idKey] else { return (nil, name) }
        return (id.stringValue ?? id.intValue.map(String.init), name)
    }

    public var secretKeyNames: Set<String> { [] }
    public var sendsFromViews: Bool { false }
    public func readOnlyReason(_ remote: RemoteObject) -> String? { nil }
    public func listNotes(_ objects: [RemoteObject]) -> [String] { [] }
    public func changeNotes(_ action: Action, remote: RemoteObject?) -> [String] { [] }
    public func secretsClearedByUpdate(desired: Value, remote: RemoteObject, prior: PriorRecord?) -> [FieldPath] { [] }
    public func exactPaths(desired: Value) -> [FieldPath] { [] }
}
