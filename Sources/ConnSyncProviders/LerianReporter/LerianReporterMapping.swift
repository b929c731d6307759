import ConnSyncModel
import ConnSyncPlan

/// lerian-reporter: objects keyed by a uuid; PATCH sends only the changed
/// fields; `metadata`, when sent, replaces the stored map; `password` and
/// `ssl.ca|cert|key` are write-only. Create needs `X-Product-Name`.
public struct LerianReporterMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .lerianReporter }
    public var updateAction: Action { .update }

    static let engineCodes: [DatabaseEngine: String] = [
        .postgresql: "POSTGRESQL", .mysql: "MYSQL", .sqlserver: "SQL_SERVER", .oracle: "ORACLE", .mongodb: "MONGODB",
    ]

    /// Normalized key → vendor key, for partial updates.
    static let vendorKeys: [String: String] = [
        "engine": "type", "database": "databaseName", "username": "userName", "labels": "metadata",
    ]

    static let writeOnly: Set<FieldPath> = ["password", "ssl.ca", "ssl.cert", "ssl.key"]

    public func identity(of raw: Value) -> (id: String?, name: String)? {
        guard let name = raw["configName"]?.stringValue else { return nil }
        return (raw["id"]?.stringValue, name)
    }

    public func normalize(_ raw: Value) -> Value {
        guard case .object(let fields) = raw else { return .emptyObject }
        var result: [String: Value] = [:]
        result.reserveCapacity(fields.count)
        for (key, value) in fields {
            switch key {
            case "id", "configName", "productName", "createdAt", "updatedAt", "deletedAt": continue
            case "type":
                let code = value.stringValue ?? ""
                result["engine"] = .string(Self.engineCodes.first { $0.value == code }?.key.rawValue ?? code.lowercased())
            case "databaseName": result["database"] = value
            case "userName": result["username"] = value
            case "metadata":
                if case .object(let map) = value, !map.isEmpty { result["labels"] = value }
            default: result[key] = value
            }
        }
        return .object(result)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let fields = connection.fields
        let ssl = fields.ssl.map { ssl in
            MappingSupport.object([
                ("mode", ssl.mode.map { Value.string($0.rawValue) }),
                ("ca", MappingSupport.secret(ssl.ca)),
                ("cert", MappingSupport.secret(ssl.cert)),
                ("key", MappingSupport.secret(ssl.key)),
            ])
        }
        let mapped = MappingSupport.object([
            ("configName", .string(connection.name)),
            ("type", fields.engine.flatMap { Self.engineCodes[$0] }.map(Value.string)),
            ("host", MappingSupport.string(fields.host)),
            ("port", MappingSupport.int(fields.port)),
            ("databaseName", MappingSupport.string(fields.database)),
            ("userName", MappingSupport.string(fields.username)),
            ("password", MappingSupport.secret(fields.password)),
            ("schema", MappingSupport.string(fields.schema)),
            ("ssl", ssl),
            ("metadata", MappingSupport.labels(connection.labels)),
        ])
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

    private func headers(_ provider: ProviderConfig) -> [String: String] {
        var headers: [String: String] = [:]
        if let tenant = provider.tenantId { headers["X-Tenant-ID"] = tenant }
        return headers
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        guard let product = provider.productName, !product.isEmpty else {
            throw MappingError(
                "lerian-reporter needs the Provider's spec.productName (sent as X-Product-Name) to create a connection: set it on Provider \(provider.name)")
        }
        try MappingSupport.requirePassword(object, vendor: vendor)
        var headers = headers(provider)
        headers["X-Product-Name"] = product
        return RequestSpec(method: "POST", path: "/v1/management/connections", headers: headers, body: object)
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        let id = try MappingSupport.requireID(context.remote, vendor: vendor)
        var body: [String: Value] = [:]
        for key in MappingSupport.topLevelKeys(of: context.changedPaths) {
            let vendorKey = Self.vendorKeys[key] ?? key
            if key == "labels" {
                // metadata replaces the stored map: send the whole desired map (empty clears it).
                body["metadata"] = context.desiredObject["metadata"] ?? .emptyObject
            } else if let value = context.desiredObject[vendorKey] {
                body[vendorKey] = value
            }
        }
        if !context.secretsToSend.contains("password") {
            body["password"] = nil
        }
        return RequestSpec(
            method: "PATCH", path: "/v1/management/connections/\(MappingSupport.pathSegment(id))", headers: headers(context.provider),
            body: .object(body))
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(
            method: "DELETE", path: "/v1/management/connections/\(MappingSupport.pathSegment(remote.id ?? remote.name))",
            headers: headers(provider))
    }
}
