import ConnSyncModel
import ConnSyncPlan

/// wiremock-cloud: objects keyed by an opaque id; PATCH must carry the full base
/// object (connectionName, databaseType, host, port, databaseName, username);
/// `password` is write-only and omitted from a PATCH when unchanged.
public struct WireMockCloudMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .wiremockCloud }
    public var updateAction: Action { .update }

    static let engineCodes: [DatabaseEngine: String] = [
        .postgresql: "POSTGRESQL", .mysql: "MYSQL", .sqlserver: "SQLSERVER", .oracle: "ORACLE",
    ]

    public func identity(of raw: Value) -> (id: String?, name: String)? {
        guard let name = raw["connectionName"]?.stringValue else { return nil }
        return (raw["id"]?.stringValue, name)
    }

    public func normalize(_ raw: Value) -> Value {
        guard case .object(let fields) = raw else { return .emptyObject }
        var result: [String: Value] = [:]
        result.reserveCapacity(fields.count)
        for (key, value) in fields {
            switch key {
            case "id", "connectionName", "links": continue
            case "databaseType":
                let code = value.stringValue ?? ""
                result["engine"] = .string(Self.engineCodes.first { $0.value == code }?.key.rawValue ?? code.lowercased())
            case "databaseName": result["database"] = value
            default: result[key] = value
            }
        }
        return .object(result)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let fields = connection.fields
        let mapped = MappingSupport.object([
            ("connectionName", .string(connection.name)),
            ("databaseType", fields.engine.flatMap { Self.engineCodes[$0] }.map(Value.string)),
            ("host", MappingSupport.string(fields.host)),
            ("port", MappingSupport.int(fields.port)),
            ("databaseName", MappingSupport.string(fields.database)),
            ("username", MappingSupport.string(fields.username)),
            ("password", MappingSupport.secret(fields.password)),
        ])
        return mapped.merging(connection.options)
    }

    static let passwordPath: FieldPath = "password"

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        path == Self.passwordPath
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        try MappingSupport.requirePassword(object, vendor: vendor)
        let userId = MappingSupport.pathSegment(provider.userId ?? "")
        return RequestSpec(method: "POST", path: "/v1/users/\(userId)/database-connections", body: ["databaseConnection": object])
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        let id = try MappingSupport.requireID(context.remote, vendor: vendor)
        var object = context.desiredObject
        if !context.secretsToSend.contains("password") {
            object = object.removingKeys(["password"])
        }
        return RequestSpec(
            method: "PATCH", path: "/v1/database-connections/\(MappingSupport.pathSegment(id))", body: ["databaseConnection": object])
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: "/v1/database-connections/\(MappingSupport.pathSegment(remote.id ?? remote.name))")
    }
}
