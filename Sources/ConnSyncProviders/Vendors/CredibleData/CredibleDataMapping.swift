import ConnSyncModel
import ConnSyncPlan

/// credible-data: objects keyed by name under a project. The PATCH is a shallow
/// top-level merge where a `<type>Connection` block that is sent **replaces the
/// stored block whole**: connsync sends the whole desired block, secrets
/// included, and refuses (through the plan) an update that would clear a secret
/// the desired state does not declare.
public struct CredibleDataMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .credibleData }
    public var updateAction: Action { .update }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "name") }

    /// The vendor's secret keys inside a block (contracts.md), never returned on read.
    static let secretKeys: Set<String> = [
        "password", "connectionString", "serviceAccountKeyJson", "privateKey", "privateKeyPass", "accessToken",
        "secretAccessKey", "secret", "sessionToken", "peakaKey",
    ]

    public var secretKeyNames: Set<String> { Self.secretKeys }

    /// Engine → (type, block key, database key, user key).
    static let layouts: [DatabaseEngine: (type: String, block: String, database: String, user: String)] = [
        .postgresql: ("postgres", "postgresConnection", "databaseName", "userName"),
        .mysql: ("mysql", "mysqlConnection", "database", "user"),
    ]

    public func normalize(_ raw: Value) -> Value {
        guard case .object(let fields) = raw else { return .emptyObject }
        var result: [String: Value] = [:]
        result.reserveCapacity(fields.count)
        let type = fields["type"]?.stringValue
        let layout = Self.layouts.first { $0.value.type == type }
        for (key, value) in fields {
            switch key {
            case "resource", "name", "attributes": continue
            case "type":
                if let layout { result["engine"] = .string(layout.key.rawValue) } else { result["type"] = value }
            default:
                guard let layout, key == layout.value.block, case .object(let block) = value else {
                    result[key] = value
                    continue
                }
                var rest: [String: Value] = [:]
                for (blockKey, blockValue) in block {
                    switch blockKey {
                    case "host", "port", "password": result[blockKey] = blockValue
                    case layout.value.database: result["database"] = blockValue
                    case layout.value.user: result["username"] = blockValue
                    default: rest[blockKey] = blockValue
                    }
                }
                if !rest.isEmpty { result[key] = .object(rest) }
            }
        }
        return .object(result)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let fields = connection.fields
        guard let engine = fields.engine, let layout = Self.layouts[engine] else {
            return connection.options
        }
        let block = MappingSupport.object([
            ("host", MappingSupport.string(fields.host)),
            ("port", MappingSupport.int(fields.port)),
            (layout.database, MappingSupport.string(fields.database)),
            (layout.user, MappingSupport.string(fields.username)),
            ("password", MappingSupport.secret(fields.password)),
        ])
        let mapped: Value = ["type": .string(layout.type), .init(stringLiteral: layout.block): block]
        return mapped.merging(connection.options)
    }

    /// The block is replaced whole: every field that comes from it is authoritative.
    public func exactPaths(desired: Value) -> [FieldPath] {
        Self.blockPaths
    }

    static let blockPaths: [FieldPath] = ["host", "port", "database", "username"] + layouts.values.map { FieldPath([.key($0.block)]) }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        if path == MappingSupport.passwordPath { return true }
        guard path.components.count == 2, case .key(let block) = path.components[0], block.hasSuffix("Connection"),
            case .key(let key) = path.components[1]
        else { return false }
        return Self.secretKeys.contains(key)
    }

    /// Secrets the whole-block PATCH would clear: the password when the desired state does not
    /// declare it, and any other block secret that connsync applied before or the vendor shows.
    public func secretsClearedByUpdate(desired: Value, remote: RemoteObject, prior: PriorRecord?) -> [FieldPath] {
        var cleared: [FieldPath] = []
        if desired["password"] == nil { cleared.append("password") }
        let remoteView = normalize(remote.raw)
        var candidates = Set<FieldPath>()
        for path in (prior?.secretHashes.keys).map(Array.init) ?? [] { candidates.insert(FieldPath(parsing: path)) }
        if case .object(let fields) = remoteView {
            for (key, value) in fields where key.hasSuffix("Connection") {
                let keys = value.objectValue.map { Array($0.keys) } ?? []
                for secretKey in keys where Self.secretKeys.contains(secretKey) {
                    candidates.insert(FieldPath([.key(key), .key(secretKey)]))
                }
            }
        }
        for path in candidates.sorted() where path != "password" && isWriteOnly(path) && desired[path: path] == nil {
            cleared.append(path)
        }
        return cleared
    }

    private func path(_ provider: ProviderConfig, _ name: String) -> String {
        "\(CredibleData.connectionsPath(provider))/\(MappingSupport.pathSegment(name))"
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        RequestSpec(method: "POST", path: path(provider, connection.name), body: object)
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        var body: [String: Value] = [:]
        let blockKeys = Set(Self.layouts.values.map(\.block))
        let object = context.desiredObject.objectValue ?? [:]
        // Always the whole block (the server replaces it whole), secrets included.
        for (key, value) in object where blockKeys.contains(key) || key.hasSuffix("Connection") {
            body[key] = value
        }
        // Other top-level keys (from spec.options) only when they changed.
        for key in MappingSupport.topLevelKeys(of: context.changedPaths) where body[key] == nil {
            if key == "engine" {
                body["type"] = object["type"]
            } else if let value = object[key], !["host", "port", "database", "username", "password"].contains(key) {
                body[key] = value
            }
        }
        return RequestSpec(method: "PATCH", path: path(context.provider, context.remote.name), body: .object(body))
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: path(provider, remote.name))
    }
}
