/// What one vendor accepts, as data: the fields and engines it can hold, what every
/// connection must have, its Provider settings and auth keys, its defaults, and its own
/// checks of a connection. The loader validates against the rules of the vendor a
/// Provider names; the vendor's folder writes them (next to the mapping they agree with).
public struct VendorRules: Sendable {
    public var type: VendorType
    /// Common fields the vendor can hold.
    public var fields: Set<CommonField>
    /// Engines the vendor accepts (the vendor's folder derives them from its mapping's table).
    public var engines: Set<DatabaseEngine>
    /// Common fields every connection must have (own or inherited), unless `spec.options`
    /// gives the vendor's own key for them (``optionKeys``).
    public var requiredFields: [CommonField]
    /// The vendor's own keys (in `spec.options`) that stand for a common field.
    public var optionKeys: [CommonField: String]
    /// Whether `metadata.labels` is sent to the vendor.
    public var holdsLabels: Bool
    /// The published base URL, when the vendor has one.
    public var defaultBaseURL: String?
    /// The published request rate, when the vendor has one.
    public var defaultRateLimit: RateLimit?
    /// Keys of `spec.auth` the vendor uses, in the order messages list them.
    public var authKeys: [String]
    /// Auth keys that must be present.
    public var requiredAuthKeys: Set<String>
    /// Provider settings (`spec.<key>`) the vendor reads.
    public var settings: [VendorSetting]
    /// The vendor's own checks of a connection (name rules, fields it needs together, ...).
    public var checks: [ConnectionCheck]
    /// Said after "cannot hold FIELD; remove it from this Connection", when the vendor
    /// describes connections some other way.
    public var unsupportedFieldHint: String?

    public init(
        type: VendorType, fields: Set<CommonField>, engines: Set<DatabaseEngine>, requiredFields: [CommonField] = [],
        optionKeys: [CommonField: String] = [:], holdsLabels: Bool = false, defaultBaseURL: String? = nil, defaultRateLimit: RateLimit? = nil,
        authKeys: [String] = ["token"], requiredAuthKeys: Set<String> = ["token"], settings: [VendorSetting] = [],
        checks: [ConnectionCheck] = [], unsupportedFieldHint: String? = nil
    ) {
        self.type = type
        self.fields = fields
        self.engines = engines
        self.requiredFields = requiredFields
        self.optionKeys = optionKeys
        self.holdsLabels = holdsLabels
        self.defaultBaseURL = defaultBaseURL
        self.defaultRateLimit = defaultRateLimit
        self.authKeys = authKeys
        self.requiredAuthKeys = requiredAuthKeys
        self.settings = settings
        self.checks = checks
        self.unsupportedFieldHint = unsupportedFieldHint
    }

    /// The base URL to call: as written, else the vendor's default; nil when neither exists.
    public func baseURL(of provider: ProviderConfig) -> String? {
        provider.baseURL ?? defaultBaseURL
    }

    /// The rate limit to respect: as written, else the vendor's published one.
    public func rateLimit(of provider: ProviderConfig) -> RateLimit? {
        provider.rateLimit ?? defaultRateLimit
    }
}

/// One Provider setting a vendor reads (`spec.<key>`, a non-empty string).
public struct VendorSetting: Sendable {
    public enum Requirement: Sendable {
        case optional
        /// An error without it; the text completes "required field is missing: TYPE …".
        case required(String)
        /// A warning without it (the text says what cannot be done).
        case recommended(String)
    }

    /// What the value must look like.
    public enum Format: Sendable {
        case text
        /// One line without control characters (it is sent as a header).
        case singleLine
        /// `^[a-zA-Z0-9_-]+$`, at most `maximumLength` characters when given (a path segment, a header).
        case identifier(maximumLength: Int?)
    }

    public var key: String
    public var requirement: Requirement
    public var format: Format

    public init(_ key: String, _ requirement: Requirement = .optional, format: Format = .text) {
        self.key = key
        self.requirement = requirement
        self.format = format
    }

    /// Nil when `text` is a valid value; otherwise what it must be (for "must …").
    public func problem(with text: String) -> String? {
        switch format {
        case .text:
            return nil
        case .singleLine:
            return NameRules.isSingleLine(text) ? nil : "must be one line of text without control characters (it is sent as a header)"
        case .identifier(let maximumLength):
            guard !NameRules.isIdentifier(text, maximumLength: maximumLength) else { return nil }
            return "must match ^[a-zA-Z0-9_-]+$" + (maximumLength.map { " and be at most \($0) characters" } ?? "")
        }
    }
}

/// One check a vendor makes of a connection, after inheritance.
public struct ConnectionCheck: Sendable {
    /// Where the loader reports a problem.
    public enum Place: Sendable, Hashable {
        case name
        case spec
        /// The field where it is set, else the spec.
        case field(CommonField)
    }

    public struct Problem: Sendable, Hashable {
        public var code: String
        /// The document field named in the diagnostic (`metadata.name`, `spec.options.endpoint`).
        public var field: String
        public var message: String
        public var place: Place

        public init(code: String, field: String, message: String, place: Place) {
            self.code = code
            self.field = field
            self.message = message
            self.place = place
        }
    }

    /// What the check sees: the connection's name, effective fields, the fields set on the
    /// Connection itself (not inherited), and options.
    public struct Facts: Sendable {
        public var name: String
        public var fields: DatabaseFields
        /// The fields the Connection sets itself (not inherited).
        public var ownFields: CommonFieldSet
        public var options: Value

        public init(name: String, fields: DatabaseFields, ownFields: CommonFieldSet = CommonFieldSet(), options: Value) {
            self.name = name
            self.fields = fields
            self.ownFields = ownFields
            self.options = options
        }
    }

    /// Whether the check needs every field of the connection (it waits while the connection,
    /// or the Database it inherits from, has errors of its own).
    public var needsWholeConnection: Bool
    public var check: @Sendable (Facts) -> Problem?

    public init(needsWholeConnection: Bool = false, _ check: @escaping @Sendable (Facts) -> Problem?) {
        self.needsWholeConnection = needsWholeConnection
        self.check = check
    }
}

/// The rules of every vendor, in the order messages list them.
public struct VendorCatalog: Sendable {
    public let all: [VendorRules]
    private let byType: [VendorType: Int]

    public init(_ rules: [VendorRules]) {
        all = rules
        var index: [VendorType: Int] = [:]
        for (offset, rule) in rules.enumerated() where index[rule.type] == nil { index[rule.type] = offset }
        byType = index
    }

    public func rules(for type: VendorType) -> VendorRules? {
        byType[type].map { all[$0] }
    }

    /// The types, in order.
    public var types: [VendorType] { all.map(\.type) }

    /// Every setting key any vendor reads, in order, each once.
    public var settingKeys: [String] {
        var seen = Set<String>()
        return all.flatMap { $0.settings.map(\.key) }.filter { seen.insert($0).inserted }
    }

    /// The vendors that read `key`, sorted.
    public func vendors(reading key: String) -> [VendorType] {
        all.filter { $0.settings.contains { $0.key == key } }.map(\.type).sorted()
    }
}
