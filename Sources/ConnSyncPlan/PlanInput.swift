import ConnSyncModel

/// Everything a plan is a function of.
public struct PlanInput: Sendable {
    public var desired: DesiredState
    /// By provider name; a provider in scope without an entry counts as not observed.
    public var observations: [String: ProviderObservation]
    public var records: [PriorRecord]
    /// The state's HMAC key (see ``SecretHasher``).
    public var secretKey: [UInt8]
    /// `--target` addresses; empty means every connection.
    public var targets: [Address]
    /// Whether the plan carries its remote and desired fingerprints, which only a saved plan
    /// (`plan --out`, `apply PLANFILE`) needs: working out the remote one serializes every
    /// remote object, a large part of a converged plan's CPU.
    public var fingerprints: Bool
    /// Whether every change keeps its `before` and `after` views. Only the JSON plan and
    /// saved plans (``fingerprints``) show them, and a vendor whose writes read them
    /// (``VendorMapping/sendsFromViews``) keeps them anyway; the text views show the diffs.
    /// Without them a plan of 50,000 connections holds ≈ 100–200 MiB less.
    public var views: Bool
    /// The run's secret values: masked wherever a vendor's object holds one, redacted from
    /// what the vendor said (ids in messages).
    public var redactor: Redactor

    public init(
        desired: DesiredState, observations: [String: ProviderObservation], records: [PriorRecord], secretKey: [UInt8],
        targets: [Address] = [], fingerprints: Bool = true, views: Bool = true, redactor: Redactor = .none
    ) {
        self.desired = desired
        self.observations = observations
        self.records = records
        self.secretKey = secretKey
        self.targets = targets
        self.fingerprints = fingerprints
        self.views = views
        self.redactor = redactor
    }

    /// Whether a change keeps its views: they are shown (``views``), fingerprinted (saved
    /// plans), or read by the writes of `mapping` (``VendorMapping/sendsFromViews``; nil for a
    /// no-op, which is never sent). The one rule.
    func keepsViews(sentBy mapping: (any VendorMapping)?) -> Bool {
        views || fingerprints || (mapping?.sendsFromViews ?? false)
    }
}

/// The planned desired connections of one provider (see ``Planner/planConnections(of:_:)``):
/// the engine's pipelining (each provider planned as soon as it is observed), visible to the
/// package only.
package struct ProviderPlan: Sendable {
    package let provider: String
    /// The provider's remote objects whose names no desired connection has, by name: what
    /// the plan still needs (prune, the count of connections left alone). The others are
    /// not held, so a provider's list can be freed once it is planned.
    let unmatched: [String: [RemoteObject]]
    /// Each planned connection's outcome, by its index in the desired state's connections.
    let outcomes: [(index: Int, outcome: Result<Change, MappingError>)]
    /// The mapping's notes about the whole list.
    let listNotes: [String]
}
