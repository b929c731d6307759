import ConnSyncModel
import ConnSyncPlan

/// wiremock-cloud: objects keyed by an opaque id; PATCH must carry the full base
/// object (connectionName, databaseType, host, port, databaseName, username);
/// `password` is write-only and omitted from a PATCH when unchanged.
public struct WireMockCloudMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .wiremockCloud }
    public var updateAction: Action { .update }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "connectionName", id: "id") }

    static let table = FieldTable(
        keys: [.engine: "databaseType", .host: "host", .port: "port", .database: "databaseName", .username: "username", .password: "password"],
        engines: EngineCodes([.postgresql: "POSTGRESQL", .mysql: "MYSQL", .sqlserver: "SQLSERVER", .oracle: "ORACLE"]),
        dropped: ["id", "connectionName", "links"])

    public func normalize(_ raw: Value) -> Value {
        Self.table.normalize(raw)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        MappingSupport.object([("connectionName", .string(connection.name))] + Self.table.scalars(of: connection.fields))
            .merging(connection.options)
    }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        path == MappingSupport.passwordPath
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        try MappingSupport.requirePassword(object, vendor: vendor)
        return RequestSpec(method: "POST", path: "\(WireMockCloud.userPath(provider))/database-connections", body: ["databaseConnection": object])
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        let id = try MappingSupport.requireID(context.remote, vendor: vendor)
        var object = context.desiredObject
        if !context.secretsToSend.contains(MappingSupport.passwordPath) {
            object = object.removingKeys(["password"])
        }
        return RequestSpec(
            method: "PATCH", path: "/v1/database-connections/\(MappingSupport.pathSegment(id))", body: ["databaseConnection": object])
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: "/v1/database-connections/\(MappingSupport.pathSegment(remote.id ?? remote.name))")
    }
}
