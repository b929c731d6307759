import ConnSyncModel
import ConnSyncPlan

/// lerian-reporter: objects keyed by a uuid; PATCH sends only the changed
/// fields; `metadata`, when sent, replaces the stored map; `password` and
/// `ssl.ca|cert|key` are write-only. Create needs `X-Product-Name`.
public struct LerianReporterMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .lerianReporter }
    public var updateAction: Action { .update }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "configName", id: "id") }

    static let table = FieldTable(
        keys: [
            .engine: "type", .host: "host", .port: "port", .database: "databaseName", .username: "userName", .password: "password",
            .schema: "schema", .ssl: "ssl",
        ],
        engines: EngineCodes([.postgresql: "POSTGRESQL", .mysql: "MYSQL", .sqlserver: "SQL_SERVER", .oracle: "ORACLE", .mongodb: "MONGODB"]),
        dropped: ["id", "configName", "productName", "createdAt", "updatedAt", "deletedAt"])

    static let writeOnly: Set<FieldPath> = ["password", "ssl.ca", "ssl.cert", "ssl.key"]

    public func normalize(_ raw: Value) -> Value {
        Self.table.normalize(raw) { key, value, result in
            guard key == "metadata" else { return false }
            if case .object(let map) = value, !map.isEmpty { result["labels"] = value }
            return true
        }
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let ssl = connection.fields.ssl.map { ssl in
            MappingSupport.object([
                ("mode", ssl.mode.map { Value.string($0.rawValue) }),
                ("ca", MappingSupport.secret(ssl.ca)),
                ("cert", MappingSupport.secret(ssl.cert)),
                ("key", MappingSupport.secret(ssl.key)),
            ])
        }
        let mapped = MappingSupport.object(
            [("configName", .string(connection.name))] + Self.table.scalars(of: connection.fields)
                + [("ssl", ssl), ("metadata", MappingSupport.labels(connection.labels))])
        return mapped.merging(connection.options)
    }

    /// `metadata` replaces the stored map when sent: a remote label the desired labels lack is removed.
    static let labelsPath: FieldPath = "labels"

    public func exactPaths(desired: Value) -> [FieldPath] {
        desired["labels"] == nil ? [] : [Self.labelsPath]
    }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        Self.writeOnly.contains(path)
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        guard let product = provider.settings["productName"], !product.isEmpty else {
            throw MappingError(
                "lerian-reporter needs the Provider's spec.productName (sent as X-Product-Name) to create a connection: set it on Provider \(provider.name)")
        }
        try MappingSupport.requirePassword(object, vendor: vendor)
        var headers = LerianReporter.tenantHeader(provider)
        headers["X-Product-Name"] = product
        return RequestSpec(method: "POST", path: "/v1/management/connections", headers: headers, body: object)
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        let id = try MappingSupport.requireID(context.remote, vendor: vendor)
        var body: [String: Value] = [:]
        for key in MappingSupport.topLevelKeys(of: context.changedPaths) {
            if key == "labels" {
                // metadata replaces the stored map: send the whole desired map (empty clears it).
                body["metadata"] = context.desiredObject["metadata"] ?? .emptyObject
            } else if let value = context.desiredObject[Self.table.vendorKey(key)] {
                body[Self.table.vendorKey(key)] = value
            }
        }
        if !context.secretsToSend.contains(MappingSupport.passwordPath) {
            body["password"] = nil
        }
        return RequestSpec(
            method: "PATCH", path: "/v1/management/connections/\(MappingSupport.pathSegment(id))",
            headers: LerianReporter.tenantHeader(context.provider), body: .object(body))
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(
            method: "DELETE", path: "/v1/management/connections/\(MappingSupport.pathSegment(remote.id ?? remote.name))",
            headers: LerianReporter.tenantHeader(provider))
    }
}
