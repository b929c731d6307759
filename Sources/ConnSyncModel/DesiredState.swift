/// Identifies one connection: `PROVIDER/NAME`.
public struct Address: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var provider: String
    public var name: String

    public init(provider: String, name: String) {
        self.provider = provider
        self.name = name
    }

    /// Parses `PROVIDER/NAME` (the name may not be empty); nil otherwise.
    public init?(parsing text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let provider = String(text[..<slash])
        let name = String(text[text.index(after: slash)...])
        guard !provider.isEmpty, !name.isEmpty else { return nil }
        self.init(provider: provider, name: name)
    }

    public var description: String { "\(provider)/\(name)" }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        (lhs.provider, lhs.name) < (rhs.provider, rhs.name)
    }
}

/// `spec.auth` of a Provider. Every value may be a secret reference.
public struct ProviderAuth: Sendable, Hashable {
    public var token: Secret?
    public var username: Secret?
    public var password: Secret?

    public init(token: Secret? = nil, username: Secret? = nil, password: Secret? = nil) {
        self.token = token
        self.username = username
        self.password = password
    }

    /// Every secret of the auth block, for resolution checks.
    public var all: [(key: String, secret: Secret)] {
        var result: [(String, Secret)] = []
        if let token { result.append(("token", token)) }
        if let username { result.append(("username", username)) }
        if let password { result.append(("password", password)) }
        return result
    }
}

/// A `kind: Provider` document: one vendor account or endpoint.
public struct ProviderConfig: Sendable, Hashable {
    public var name: String
    public var type: VendorType
    /// As written; see ``effectiveBaseURL``.
    public var baseURL: String?
    public var auth: ProviderAuth
    /// The vendor's own settings (`spec.<key>`), as the vendor's rules accepted them.
    public var settings: [String: String]
    /// Most requests in flight to this provider.
    public var concurrency: Int
    /// As written; see ``effectiveRateLimit``.
    public var rateLimit: RateLimit?
    /// Delete remote connections that connsync created and that are no longer desired.
    public var prune: Bool
    public var labels: [String: String]
    public var location: SourceLocation?

    public static let defaultConcurrency = 8

    public init(
        name: String,
        type: VendorType,
        baseURL: String? = nil,
        auth: ProviderAuth = ProviderAuth(),
        settings: [String: String] = [:],
        concurrency: Int = ProviderConfig.defaultConcurrency,
        rateLimit: RateLimit? = nil,
        prune: Bool = false,
        labels: [String: String] = [:],
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.type = type
        self.baseURL = baseURL
        self.auth = auth
        self.settings = settings
        self.concurrency = concurrency
        self.rateLimit = rateLimit
        self.prune = prune
        self.labels = labels
        self.location = location
    }
}

/// `spec.ssl` of a Database or Connection. `ca`, `cert` and `key` are secrets.
public struct SSLSettings: Sendable, Hashable {
    public var mode: SSLMode?
    public var ca: Secret?
    public var cert: Secret?
    public var key: Secret?

    public init(mode: SSLMode? = nil, ca: Secret? = nil, cert: Secret? = nil, key: Secret? = nil) {
        self.mode = mode
        self.ca = ca
        self.cert = cert
        self.key = key
    }

    /// Field-by-field override: each field set in `other` wins.
    public func overridden(by other: SSLSettings) -> SSLSettings {
        SSLSettings(mode: other.mode ?? mode, ca: other.ca ?? ca, cert: other.cert ?? cert, key: other.key ?? key)
    }
}

/// The common database fields (config-format.md): all optional, as a document may
/// give only some of them and inherit the rest.
public struct DatabaseFields: Sendable, Hashable {
    public var engine: DatabaseEngine?
    public var host: String?
    public var port: Int?
    public var database: String?
    public var username: String?
    public var password: Secret?
    public var schema: String?
    public var ssl: SSLSettings?

    public init(
        engine: DatabaseEngine? = nil,
        host: String? = nil,
        port: Int? = nil,
        database: String? = nil,
        username: String? = nil,
        password: Secret? = nil,
        schema: String? = nil,
        ssl: SSLSettings? = nil
    ) {
        self.engine = engine
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.schema = schema
        self.ssl = ssl
    }

    /// Which common fields are set (``setFieldSet`` as a `Set`).
    public var setFields: Set<CommonField> { Set(setFieldSet) }

    /// Whether `field` is set (no set built, for the checks run on every connection).
    public func isSet(_ field: CommonField) -> Bool {
        switch field {
        case .engine: return engine != nil
        case .host: return host != nil
        case .port: return port != nil
        case .database: return database != nil
        case .username: return username != nil
        case .password: return password != nil
        case .schema: return schema != nil
        case .ssl: return ssl != nil
        }
    }

    /// Per-field override: each field set in `other` wins; `ssl` merges field by field.
    public func overridden(by other: DatabaseFields) -> DatabaseFields {
        var result = self
        if let value = other.engine { result.engine = value }
        if let value = other.host { result.host = value }
        if let value = other.port { result.port = value }
        if let value = other.database { result.database = value }
        if let value = other.username { result.username = value }
        if let value = other.password { result.password = value }
        if let value = other.schema { result.schema = value }
        if let value = other.ssl { result.ssl = (ssl ?? SSLSettings()).overridden(by: value) }
        return result
    }

    /// A copy without `field`.
    public func removing(_ field: CommonField) -> DatabaseFields {
        var result = self
        switch field {
        case .engine: result.engine = nil
        case .host: result.host = nil
        case .port: result.port = nil
        case .database: result.database = nil
        case .username: result.username = nil
        case .password: result.password = nil
        case .schema: result.schema = nil
        case .ssl: result.ssl = nil
        }
        return result
    }

    /// Every secret among the fields, by dotted field name (`password`, `ssl.ca`, ...).
    public var secrets: [(field: String, secret: Secret)] {
        var result: [(String, Secret)] = []
        if let password { result.append(("password", password)) }
        if let ca = ssl?.ca { result.append(("ssl.ca", ca)) }
        if let cert = ssl?.cert { result.append(("ssl.cert", cert)) }
        if let key = ssl?.key { result.append(("ssl.key", key)) }
        return result
    }
}

/// A `kind: Database` document: shared coordinates of one real database.
public struct DatabaseDefinition: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var fields: DatabaseFields
    public var location: SourceLocation?

    public init(name: String, labels: [String: String] = [:], fields: DatabaseFields, location: SourceLocation? = nil) {
        self.name = name
        self.labels = labels
        self.fields = fields
        self.location = location
    }
}

/// Where the desired state was read from.
public struct SourceInfo: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case directory
        case git
    }

    public var kind: Kind
    /// The folder, or the repository (credentials stripped from URLs).
    public var location: String
    /// The ref as given (`--ref`), for git sources.
    public var ref: String?
    /// The resolved commit id: the commit read (git) or the work tree's HEAD (directory in a work tree).
    public var commit: String?
    /// The folder inside the repository (`--path`).
    public var path: String?
    /// For a directory inside a git work tree: whether it has uncommitted changes.
    public var isDirty: Bool?

    public init(kind: Kind, location: String, ref: String? = nil, commit: String? = nil, path: String? = nil, isDirty: Bool? = nil) {
        self.kind = kind
        self.location = location
        self.ref = ref
        self.commit = commit
        self.path = path
        self.isDirty = isDirty
    }

    /// The first 7 characters of the commit id.
    public var shortCommit: String? {
        commit.map { String($0.prefix(7)) }
    }
}

/// Everything the desired state declares, validated and cross-referenced.
public struct DesiredState: Sendable, Hashable {
    public var source: SourceInfo
    /// Sorted by name.
    public var providers: [ProviderConfig]
    /// Sorted by name.
    public var databases: [DatabaseDefinition]
    /// Sorted by address.
    public var connections: [DesiredConnection]

    /// `connections` is taken, not copied: in order already (files are read in order), it
    /// is kept as it is; else sorted in place.
    public init(
        source: SourceInfo, providers: [ProviderConfig], databases: [DatabaseDefinition], connections: consuming [DesiredConnection]
    ) {
        self.source = source
        self.providers = providers.sorted { $0.name < $1.name }
        self.databases = databases.sorted { $0.name < $1.name }
        var list = connections
        if !zip(list, list.dropFirst()).allSatisfy({ $0.address < $1.address }) { list.sort { $0.address < $1.address } }
        self.connections = list
    }

    public func provider(named name: String) -> ProviderConfig? {
        providers.first { $0.name == name }
    }
}

extension DesiredState {
    /// Every resolved secret value of the desired state (auth, connection fields, options):
    /// what a ``Redactor`` must keep out of anything shown.
    public var secretValues: Set<String> {
        // Straight into a set: 50,000 connections sharing one password give one value, and
        // no list of all their secrets is built on the way (only each connection's few).
        var values = Set<String>()
        func add(_ secret: Secret?) {
            if let value = secret?.value?.revealed() { values.insert(value) }
        }
        func add(_ fields: DatabaseFields) {
            for (_, secret) in fields.secrets { add(secret) }
        }
        for provider in providers {
            for (_, secret) in provider.auth.all { add(secret) }
        }
        for database in databases { add(database.fields) }
        var optionSecrets: [Secret] = []
        for connection in connections {
            add(connection.fields)
            optionSecrets.removeAll(keepingCapacity: true)
            connection.options.collectSecrets(into: &optionSecrets)
            for secret in optionSecrets { add(secret) }
        }
        return values
    }

    /// A redactor for everything this desired state holds in secret.
    public var redactor: Redactor { Redactor(secrets: secretValues) }
}

extension Value {
    /// Every `.secret` leaf of the tree.
    func collectSecrets(into result: inout [Secret]) {
        switch self {
        case .secret(let secret): result.append(secret)
        case .array(let items): for item in items { item.collectSecrets(into: &result) }
        case .object(let fields): for (_, item) in fields { item.collectSecrets(into: &result) }
        default: break
        }
    }
}
