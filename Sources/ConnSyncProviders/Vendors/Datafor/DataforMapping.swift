import ConnSyncModel
import ConnSyncPlan

/// datafor: the update call **replaces** the stored object (matched by id, else
/// name), so connsync sends the remote object with the desired fields merged in:
/// unmanaged fields (pooling, extra options, ...) are kept, and `password: null`
/// keeps the stored password when it is unchanged.
public struct DataforMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .datafor }
    public var updateAction: Action { .update }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "name", id: "id") }

    static let table = FieldTable(
        keys: [.engine: "databaseType", .host: "hostname", .port: "databasePort", .database: "databaseName", .username: "username", .password: "password"],
        engines: EngineCodes(engines.mapValues(\.shortName)), dropped: ["id", "name", "changed", "driverId", "PORT_NUMBER"])

    struct EngineInfo {
        var shortName: String
        var displayName: String
        var driverId: String
        var defaultPort: Int
        var helpURL: String
    }

    static let engines: [DatabaseEngine: EngineInfo] = [
        .postgresql: EngineInfo(
            shortName: "POSTGRESQL", displayName: "PostgreSQL", driverId: "postgresql", defaultPort: 5432,
            helpURL: "https://jdbc.postgresql.org/documentation/use/"),
        .mysql: EngineInfo(
            shortName: "MYSQL", displayName: "MySQL", driverId: "mysql", defaultPort: 3306,
            helpURL: "https://dev.mysql.com/doc/connector-j/en/connector-j-reference-configuration-properties.html"),
        .sqlserver: EngineInfo(
            shortName: "MSSQL", displayName: "MS SQL Server", driverId: "mssql", defaultPort: 1433,
            helpURL: "https://learn.microsoft.com/sql/connect/jdbc/setting-the-connection-properties"),
        .oracle: EngineInfo(
            shortName: "ORACLE", displayName: "Oracle", driverId: "oracle", defaultPort: 1521,
            helpURL: "https://docs.oracle.com/en/database/oracle/oracle-database/21/jajdb/"),
    ]

    /// Fields a create sends when neither the mapping nor `spec.options` give them.
    static let createDefaults: Value = [
        "accessType": "NATIVE", "accessTypeValue": "NATIVE", "SQLServerInstance": nil, "changed": false, "connectSql": "",
        "connectionPoolingProperties": ["initialSize": "0", "maxActive": "20", "maxIdle": "5", "minIdle": "0"],
        "dataTablespace": "", "extraOptions": [:], "extraOptionsOrder": [:], "forcingIdentifiersToLowerCase": false,
        "forcingIdentifiersToUpperCase": false, "indexTablespace": "", "informixServername": "", "initialPoolSize": 0,
        "maximumPoolSize": 0, "partitioned": false, "quoteAllFields": false, "streamingResults": false,
        "usingConnectionPool": true, "usingDoubleDecimalAsSchemaTableSeparator": false, "CUSTOM_URL": nil,
    ]

    public func normalize(_ raw: Value) -> Value {
        Self.table.normalize(raw) { key, value, result in
            switch key {
            case "password":
                if !value.isNull { result["password"] = value }
            case "databaseType":
                result["engine"] = Self.table.engines.engine(forCode: value["shortName"]?.stringValue ?? value.stringValue ?? "")
            case "attributes":
                let rest = value.removingKeys(["driverId", "PORT_NUMBER"])
                if let remaining = rest.objectValue, !remaining.isEmpty { result[key] = rest }
            case "databasePort":
                if let text = value.stringValue, let port = Int(text) { result["port"] = .int(port) } else { result["port"] = value }
            default:
                return false
            }
            return true
        }
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let fields = connection.fields
        let engine = fields.engine.flatMap { Self.engines[$0] }
        let port = fields.port.map { Value.string(String($0)) }
        let databaseType = engine.map { info -> Value in
            [
                "defaultDatabaseName": nil, "defaultDatabasePort": .int(info.defaultPort), "defaultOptions": nil,
                "extraOptionsHelpUrl": .string(info.helpURL), "name": .string(info.displayName), "shortName": .string(info.shortName),
            ]
        }
        let attributes = MappingSupport.object([
            ("driverId", engine.map { Value.string($0.driverId) }),
            ("PORT_NUMBER", port),
        ])
        let mapped = MappingSupport.object([
            ("name", .string(connection.name)),
            ("hostname", MappingSupport.string(fields.host)),
            ("databasePort", port),
            ("databaseName", MappingSupport.string(fields.database)),
            ("username", MappingSupport.string(fields.username)),
            ("password", MappingSupport.secret(fields.password)),
            ("databaseType", databaseType),
            ("attributes", attributes.objectValue?.isEmpty == false ? attributes : nil),
        ])
        return mapped.merging(connection.options)
    }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        path == MappingSupport.passwordPath
    }

    /// Top-level copies of `attributes.driverId` / `attributes.PORT_NUMBER` the vendor keeps in step.
    private func withDuplicates(_ object: Value) -> Value {
        var result = object
        if let driver = object[path: "attributes.driverId"] { result["driverId"] = driver }
        if let port = object[path: "attributes.PORT_NUMBER"] { result["PORT_NUMBER"] = port }
        return result
    }

    private let base = Datafor.apiPath

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        var body = withDuplicates(Self.createDefaults.merging(object))
        body["id"] = .null
        if body["password"] == nil { body["password"] = .null }
        return RequestSpec(method: "POST", path: "\(base)/add", body: body)
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        var body = withDuplicates(context.remote.raw.merging(context.desiredObject))
        if let id = context.remote.raw["id"] { body["id"] = id }
        if !context.secretsToSend.contains(MappingSupport.passwordPath) {
            body["password"] = .null
        }
        return RequestSpec(method: "POST", path: "\(base)/update", body: body)
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: "\(base)/deletebyname?name=\(MappingSupport.pathSegment(remote.name))")
    }
}
