import ConnSyncModel
import ConnSyncPlan

/// grafana: data sources keyed by `uid`. `url` is `host:port`, the database is
/// `jsonData.database`, the password is `secureJsonData.password` (write-only; every
/// `secureJsonData` key a Connection declares is). The plan is made from the list alone;
/// the PUT replaces the row, so apply first reads the object by uid and sends it whole
/// with the desired fields merged in (``Grafana/API``): unmanaged fields are kept and never
/// shown as removed.
public struct GrafanaMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .grafana }
    public var updateAction: Action { .update }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "name", id: "uid") }
    /// Every value under `secureJsonData` is a secret.
    public var secretKeyNames: Set<String> { ["secureJsonData"] }
    /// Its writes read the data source back and compare it with the change's views.
    public var sendsFromViews: Bool { true }

    static let engines = EngineCodes([.postgresql: "grafana-postgresql-datasource", .mysql: "mysql"])
    /// The PostgreSQL plugin's alias, read as its id.
    static let postgresAlias = "postgres"

    /// What the server owns or derives: never compared, never sent back.
    static let serverOwned: Set<String> = [
        "id", "orgId", "typeLogoUrl", "typeName", "version", "readOnly", "accessControl", "apiVersion", "ordinal", "secureJsonFields",
    ]
    /// Identity, and the legacy top-level `database` (the database is `jsonData.database`;
    /// apply keeps whatever the legacy field holds).
    static let notCompared = serverOwned.union(["uid", "name", "database"])

    public func normalize(_ raw: Value) -> Value {
        guard case .object(let fields) = raw else { return .emptyObject }
        var result: [String: Value] = [:]
        result.reserveCapacity(fields.count)
        for (key, value) in fields where !Self.notCompared.contains(key) {
            switch key {
            case "type":
                let code = value.stringValue ?? ""
                result["engine"] = Self.engines.engine(forCode: code == Self.postgresAlias ? Self.engines.codes[.postgresql]! : code)
            case "url":
                let (host, port) = Self.hostAndPort(value.stringValue ?? "")
                result["host"] = .string(host)
                if let port { result["port"] = .int(port) }
            case "user": result["username"] = value
            case "jsonData":
                var rest = value.objectValue ?? [:]
                if let database = rest.removeValue(forKey: "database") { result["database"] = database }
                if let mode = rest.removeValue(forKey: "sslmode") { result["ssl"] = ["mode": mode] }
                if !rest.isEmpty { result["jsonData"] = .object(rest) }
            case "secureJsonData":
                var rest = value.objectValue ?? [:]
                if let password = rest.removeValue(forKey: "password") { result["password"] = password }
                if !rest.isEmpty { result["secureJsonData"] = .object(rest) }
            default: result[key] = value
            }
        }
        return .object(result)
    }

    /// `db.internal:5432` → (`db.internal`, 5432); `[::1]:5432` → (`[::1]`, 5432); a socket
    /// path or a host without a port → (it, nil).
    static func hostAndPort(_ url: String) -> (String, Int?) {
        guard let colon = url.lastIndex(of: ":"), !url.hasPrefix("/") else { return (url, nil) }
        let host = String(url[..<colon])
        guard let port = Int(url[url.index(after: colon)...]), !host.isEmpty, !host.hasSuffix(":") else { return (url, nil) }
        return (host, port)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let fields = connection.fields
        let url = fields.host.map { host in fields.port.map { "\(host):\($0)" } ?? host }
        // ssl.mode is jsonData.sslmode for postgresql; mysql's TLS keys are its own (spec.options).
        let mode = fields.engine == .postgresql ? fields.ssl?.mode.map { Value.string($0.rawValue) } : nil
        let jsonData = MappingSupport.object([("database", MappingSupport.string(fields.database)), ("sslmode", mode)])
        let secure = MappingSupport.object([("password", MappingSupport.secret(fields.password))])
        let mapped = MappingSupport.object([
            ("name", .string(connection.name)),
            ("type", Self.engines.code(fields.engine)),
            ("url", url.map(Value.string)),
            ("user", MappingSupport.string(fields.username)),
            ("jsonData", jsonData.objectValue?.isEmpty == false ? jsonData : nil),
            ("secureJsonData", secure.objectValue?.isEmpty == false ? secure : nil),
        ])
        return mapped.merging(connection.options)
    }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        guard case .key(let first)? = path.components.first else { return false }
        return path == MappingSupport.passwordPath || first == "secureJsonData"
    }

    /// A valid Grafana uid: 1 to 40 of `A-Za-z0-9_-` (metadata.name may also hold `.`).
    static func isValidUID(_ text: String) -> Bool {
        NameRules.isIdentifier(text, maximumLength: 40)
    }

    public func readOnlyReason(_ remote: RemoteObject) -> String? {
        guard remote.raw["readOnly"]?.boolValue == true else { return nil }
        return "provisioned read-only at Grafana (readOnly: true): connsync never writes it; change it where it is provisioned"
    }

    public func listNotes(_ objects: [RemoteObject]) -> [String] {
        guard objects.count >= Grafana.listCap else { return [] }
        return [
            "the list holds \(objects.count) data sources, Grafana's default cap (datasource_limit): it may be cut short, "
                + "and a data source past the cap would plan as a create"
        ]
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        var body = object
        if body["access"] == nil { body["access"] = "proxy" }
        if body["uid"] == nil, Self.isValidUID(connection.name) { body["uid"] = .string(connection.name) }
        return RequestSpec(method: "POST", path: Grafana.basePath, body: body)
    }

    /// The desired object with only the secrets being sent; apply adds what the object holds
    /// at Grafana (``Grafana/API/send(_:http:)``).
    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        let uid = try MappingSupport.requireID(context.remote, vendor: vendor)
        var body = context.desiredObject
        if case .object(var secure)? = body["secureJsonData"] {
            for key in secure.keys {
                let path: FieldPath = key == "password" ? MappingSupport.passwordPath : FieldPath([.key("secureJsonData"), .key(key)])
                if !context.secretsToSend.contains(path) { secure[key] = nil }
            }
            body["secureJsonData"] = secure.isEmpty ? nil : .object(secure)
        }
        return RequestSpec(method: "PUT", path: Grafana.uidPath(uid), body: body)
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: Grafana.uidPath(remote.id ?? remote.name))
    }
}
