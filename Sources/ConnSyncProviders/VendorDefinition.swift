import ConnSyncModel
import ConnSyncPlan

/// Everything connsync knows about one vendor, written in that vendor's folder: its rules,
/// its pure mapping, how it is spoken to, and the data the demo and the benchmark seed it
/// with. The loader, planner, engine and CLI receive definitions and never name a vendor.
public struct VendorDefinition: Sendable {
    public let rules: VendorRules
    public let mapping: any VendorMapping
    public let api: any VendorAPI
    public let samples: VendorSamples

    public init(rules: VendorRules, mapping: any VendorMapping, api: any VendorAPI, samples: VendorSamples) {
        precondition(rules.type == mapping.vendor, "a definition's rules and mapping are of one vendor")
        self.rules = rules
        self.mapping = mapping
        self.api = api
        self.samples = samples
    }

    public var type: VendorType { rules.type }
}

/// What the demo and the benchmark seed a vendor's emulator with.
public struct VendorSamples: Sendable {
    /// The path below the emulator's root where the vendor is served (`""`, or a web-app prefix).
    public var basePath: String
    /// Objects in the emulator's seed format (its list for this vendor) that drifted from
    /// `examples/`, and what the drift is, for the demo's story ("an old host").
    public var demoDrift: [Value]
    public var demoStory: String
    /// Values for the variables `examples/` references for this vendor, used when unset.
    public var demoSecrets: [String: String]
    /// Whether the benchmark spreads its connections over this vendor (a vendor whose writes
    /// need more than one call each would not measure the same bound).
    public var benchmarked: Bool
    /// The benchmark Provider's settings.
    public var benchSettings: [String: String]
    /// Fields the vendor's objects carry that the benchmark's desired state does not manage
    /// (pool settings, driver options, descriptions): its list answers are as large as real ones.
    public var benchRemoteExtras: Value
    /// The benchmark connection number `n` described by `spec.options` alone (vendors without
    /// common fields); nil: it inherits a shared Database.
    public var benchOptions: (@Sendable (_ n: Int, _ host: String) -> Value)?
    /// A remote object (the mapping's vendor object for a desired connection) as the
    /// emulator is seeded with it: its id or name set as the vendor keys it, and whatever the
    /// emulator files it under (a user, a project).
    public var benchSeed: @Sendable (_ object: Value, _ id: String, _ name: String) -> Value
    /// The path of one GET of one connection (the per-resource baseline).
    public var benchGetPath: @Sendable (_ id: String, _ name: String) -> String

    public init(
        basePath: String = "", demoDrift: [Value] = [], demoStory: String = "", demoSecrets: [String: String] = [:],
        benchmarked: Bool = true, benchSettings: [String: String] = [:], benchRemoteExtras: Value = .emptyObject, benchOptions: (@Sendable (_ n: Int, _ host: String) -> Value)? = nil,
        benchSeed: @escaping @Sendable (_ object: Value, _ id: String, _ name: String) -> Value,
        benchGetPath: @escaping @Sendable (_ id: String, _ name: String) -> String
    ) {
        self.basePath = basePath
        self.demoDrift = demoDrift
        self.demoStory = demoStory
        self.demoSecrets = demoSecrets
        self.benchmarked = benchmarked
        self.benchSettings = benchSettings
        self.benchRemoteExtras = benchRemoteExtras
        self.benchOptions = benchOptions
        self.benchSeed = benchSeed
        self.benchGetPath = benchGetPath
    }
}

extension VendorSamples {
    /// A benchmark seed for vendors keyed by id: the object with its id, and `extra`.
    public static func seedByID(_ extra: [String: Value] = [:]) -> @Sendable (Value, String, String) -> Value {
        { object, id, _ in object.merging(.object(extra.merging(["id": .string(id)]) { $1 })) }
    }

    /// A benchmark seed for vendors keyed by name: the object with its name, and `extra`.
    public static func seedByName(_ extra: [String: Value] = [:]) -> @Sendable (Value, String, String) -> Value {
        { object, _, name in object.merging(.object(extra.merging(["name": .string(name)]) { $1 })) }
    }
}

/// The vendors of a run, by type (the registry lists the standard ones: ``standard``).
public struct VendorRegistry: Sendable {
    public let definitions: [VendorDefinition]
    private let byType: [VendorType: Int]

    public init(_ definitions: [VendorDefinition]) {
        self.definitions = definitions
        var index: [VendorType: Int] = [:]
        for (offset, definition) in definitions.enumerated() {
            precondition(index[definition.type] == nil, "one definition per vendor type")
            index[definition.type] = offset
        }
        byType = index
    }

    public func definition(for type: VendorType) -> VendorDefinition? {
        byType[type].map { definitions[$0] }
    }

    /// The rules of every vendor, for the loader.
    public var catalog: VendorCatalog { VendorCatalog(definitions.map(\.rules)) }

    /// The mapping of every vendor, for the planner.
    public var mappings: [any VendorMapping] { definitions.map(\.mapping) }

    public var types: [VendorType] { definitions.map(\.type) }

    /// The provider of `config` over `transport`.
    public func provider(
        for config: ProviderConfig, transport: any HTTPTransport, jobWait: JobWaitPolicy, redactor: Redactor = .none
    ) throws(ProviderError) -> any Provider {
        guard let definition = definition(for: config.type) else {
            throw ProviderError(
                kind: .configuration, operation: "configure", provider: config.name, message: "connsync does not know vendor \(config.type)")
        }
        return try HTTPVendorProvider(definition: definition, config: config, transport: transport, jobWait: jobWait, redactor: redactor)
    }
}
