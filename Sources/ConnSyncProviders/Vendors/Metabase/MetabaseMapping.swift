import ConnSyncModel
import ConnSyncPlan

/// metabase: databases keyed by a numeric id (names are not unique). The common fields
/// are `details.host`, `details.port`, `details.dbname`, `details.user` and
/// `details.password`; every sensitive detail reads back as the mask `**MetabasePass**`
/// and is write-only (compared through state's keyed hashes). The PUT merges `details`
/// shallowly and resets an omitted `is_on_demand` (and, on paid editions, `cache_ttl`): it
/// carries the changed fields, and those two as the remote has them. ssl: `disable` is
/// `details.ssl: false`; other modes `details.ssl: true`, and for postgres
/// `details.ssl-mode` (shown under `details`, as Metabase holds them).
public struct MetabaseMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .metabase }
    public var updateAction: Action { .update }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "name", id: "id") }
    public var secretKeyNames: Set<String> { Self.sensitiveKeys }

    static let engines = EngineCodes([.postgresql: "postgres", .mysql: "mysql"])
    static let mask = "**MetabasePass**"
    /// `driver.util/default-sensitive-fields`; secret-typed properties read back as `<prop>-value`.
    static let sensitiveKeys: Set<String> = [
        "password", "pass", "tunnel-pass", "tunnel-private-key", "tunnel-private-key-passphrase", "access-token", "refresh-token",
        "service-account-json",
    ]
    /// Detail keys for the common fields.
    static let detailKeys: [String: String] = ["host": "host", "port": "port", "dbname": "database", "user": "username", "password": "password"]
    /// What the server owns, computes or rewrites: never compared, never sent.
    static let serverOwned: Set<String> = [
        "id", "name", "features", "dbms_version", "timezone", "initial_sync_status", "created_at", "updated_at", "creator_id", "is_sample",
        "is_audit", "is_attached_dwh", "router_database_id", "native_permissions", "can_upload", "can-manage", "router_user_attribute",
        "uploads_enabled", "uploads_schema_name", "uploads_table_prefix", "entity_id", "transforms_permissions", "schedules",
        "metadata_sync_schedule", "cache_field_values_schedule", "provider_name", "tables", "write_data_details",
    ]

    /// Top-level fields a PUT leaves alone when null (all but `cache_ttl`, which a paid
    /// edition resets): null reads as not set.
    static let nullIsUnset: Set<String> = ["description", "caveats", "points_of_interest", "refingerprint", "settings", "auto_run_queries", "is_full_sync"]

    static func isSensitiveDetail(_ key: String) -> Bool {
        sensitiveKeys.contains(key) || key.hasSuffix("-value")
    }

    public func normalize(_ raw: Value) -> Value {
        guard case .object(let fields) = raw else { return .emptyObject }
        var result: [String: Value] = [:]
        result.reserveCapacity(fields.count)
        for (key, value) in fields where !Self.serverOwned.contains(key) && !(value.isNull && Self.nullIsUnset.contains(key)) {
            switch key {
            case "engine": result["engine"] = Self.engines.engine(forCode: value.stringValue ?? "")
            case "details":
                var rest: [String: Value] = [:]
                for (detail, item) in value.objectValue ?? [:] {
                    // The mask stands for a stored secret: compared through hashes, never by value.
                    if Self.isSensitiveDetail(detail), item.stringValue == Self.mask { continue }
                    // A secret-typed property's server-side id.
                    if detail.hasSuffix("-id"), fields["details"]?["\(detail.dropLast(3))-options"] != nil { continue }
                    if let common = Self.detailKeys[detail] { result[common] = item } else { rest[detail] = item }
                }
                if !rest.isEmpty { result["details"] = .object(rest) }
            default: result[key] = value
            }
        }
        return .object(result)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let fields = connection.fields
        var ssl: [(String, Value?)] = []
        if let mode = fields.ssl?.mode {
            ssl.append(("ssl", .bool(mode != .disable)))
            if mode != .disable, fields.engine == .postgresql { ssl.append(("ssl-mode", .string(mode.rawValue))) }
        }
        let details = MappingSupport.object(
            [
                ("host", MappingSupport.string(fields.host)), ("port", MappingSupport.int(fields.port)),
                ("dbname", MappingSupport.string(fields.database)), ("user", MappingSupport.string(fields.username)),
                ("password", MappingSupport.secret(fields.password)),
            ] + ssl)
        let mapped = MappingSupport.object([
            ("name", .string(connection.name)),
            ("engine", Self.engines.code(fields.engine)),
            ("details", details.objectValue?.isEmpty == false ? details : nil),
        ])
        return mapped.merging(connection.options)
    }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        if path == MappingSupport.passwordPath { return true }
        guard path.components.count == 2, case .key("details") = path.components[0], case .key(let key) = path.components[1] else { return false }
        return Self.isSensitiveDetail(key)
    }

    public func changeNotes(_ action: Action, remote: RemoteObject?) -> [String] {
        guard action == .delete else { return [] }
        return ["deleting a Metabase database also deletes every saved question, model and metric on it; there is no undo"]
    }

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        RequestSpec(method: "POST", path: Metabase.basePath, body: object)
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        let id = try MappingSupport.requireID(context.remote, vendor: vendor)
        let object = context.desiredObject.objectValue ?? [:]
        var body: [String: Value] = [:]
        for key in MappingSupport.topLevelKeys(of: context.changedPaths) {
            if key == "details" || Self.detailKeys.values.contains(key) {
                // Merged shallowly by Metabase: the desired details, secrets only when they are sent.
                var details = object["details"]?.objectValue ?? [:]
                for detail in details.keys where Self.isSensitiveDetail(detail) {
                    let path: FieldPath = detail == "password" ? MappingSupport.passwordPath : FieldPath([.key("details"), .key(detail)])
                    if !context.secretsToSend.contains(path) { details[detail] = nil }
                }
                body["details"] = .object(details)
            } else if let value = object[key] {
                body[key] = value
            }
        }
        // An omitted is_on_demand (and cache_ttl) is reset by Metabase: send them as they are.
        for key in ["is_on_demand", "cache_ttl"] where body[key] == nil {
            if let value = object[key] ?? context.remote.raw[key] { body[key] = value }
        }
        return RequestSpec(method: "PUT", path: Metabase.idPath(id), body: .object(body))
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: Metabase.idPath(remote.id ?? remote.name))
    }
}
