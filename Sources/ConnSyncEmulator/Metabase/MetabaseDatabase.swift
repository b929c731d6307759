import ConnSyncModel
import Foundation

/// What Metabase checks and shows of a stored Database row (metabase.contract.md §2, §6, §7).
enum MetabaseDatabase {
    /// `secret/protected-password`: what every sensitive detail reads back as.
    static let mask = "**MetabasePass**"
    /// `driver.util/default-sensitive-fields`.
    static let sensitiveKeys: Set<String> = [
        "password", "pass", "tunnel-pass", "tunnel-private-key", "tunnel-private-key-passphrase", "access-token", "refresh-token",
        "service-account-json",
    ]
    /// Connection properties of `:type :secret` per engine: stored apart, read back as
    /// `<prop>-value` (masked), `<prop>-options` and a server-side `<prop>-id`.
    static let secretProperties: [String: [String]] = ["postgres": ["ssl-root-cert", "ssl-client-cert", "ssl-key", "ssl-key-password"]]
    /// The drivers the emulated server has.
    static let engines: Set<String> = [
        "postgres", "mysql", "h2", "sqlite", "sqlserver", "oracle", "redshift", "snowflake", "bigquery-cloud-sdk", "mongo", "druid",
        "athena", "presto-jdbc", "sparksql", "vertica", "clickhouse", "databricks",
    ]
    /// Drivers with an `ssl` property: create tries `ssl: true` first on these.
    static let sslEngines: Set<String> = ["postgres", "mysql", "redshift", "sqlserver", "oracle"]
    static let flavors = ["postgres": ("PostgreSQL", "16.2", [16, 2]), "mysql": ("MySQL", "8.0.36", [8, 0, 36])]

    /// Whether `key` of `details` is write-only for `engine`.
    static func isSensitive(_ key: String, engine: String) -> Bool {
        if sensitiveKeys.contains(key) { return true }
        guard key.hasSuffix("-value") else { return false }
        return secretProperties[engine]?.contains(String(key.dropLast(6))) ?? false
    }

    /// `details` as the API shows it: every present, non-null sensitive value (an empty
    /// string too) replaced by the mask.
    static func masked(_ details: [String: Value], engine: String) -> [String: Value] {
        var result = details
        for (key, value) in details where !value.isNull && isSensitive(key, engine: engine) { result[key] = .string(mask) }
        return result
    }

    /// The row as list, create and update answers show it: details masked, plus the
    /// permission fields the API hydrates for an admin.
    static func view(_ row: Value) -> Value {
        var view = row
        let engine = row["engine"]?.stringValue ?? ""
        view["details"] = row["details"]?.objectValue.map { .object(masked($0, engine: engine)) } ?? .null
        view["native_permissions"] = "write"
        view["can_upload"] = false
        return view
    }

    /// `GET /api/database/:id`: the row view with `schedules` expanded and `can-manage`.
    static func detailView(_ row: Value) -> Value {
        var view = view(row)
        view["schedules"] = schedules(row)
        view["can-manage"] = true
        return view
    }

    /// The server's sync schedules: "randomized" per instance, here derived from the id
    /// so that they are stable; none for field values unless `is_full_sync`.
    static func withSchedules(_ row: Value) -> Value {
        var row = row
        let id = row["id"]?.intValue ?? 0
        row["metadata_sync_schedule"] = .string("0 \((id * 17 + 3) % 60) * * * ? *")
        let fullSync = row["is_full_sync"]?.boolValue ?? true
        row["cache_field_values_schedule"] = fullSync ? .string("0 \((id * 13) % 60) \((id * 7 + 1) % 24) * * ? *") : .null
        return row
    }

    /// The expanded `schedules` map of the two cron strings.
    static func schedules(_ row: Value) -> Value {
        func expand(_ cron: Value?) -> Value {
            let fields = (cron?.stringValue ?? "").split(separator: " ").map(String.init)
            guard fields.count >= 3, let minute = Int(fields[1]) else { return .null }
            let hour = Int(fields[2])
            return [
                "schedule_type": .string(hour == nil ? "hourly" : "daily"), "schedule_minute": .int(minute),
                "schedule_hour": hour.map(Value.int) ?? .null, "schedule_day": nil, "schedule_frame": nil,
            ]
        }
        return ["metadata_sync": expand(row["metadata_sync_schedule"]), "cache_field_values": expand(row["cache_field_values_schedule"])]
    }

    /// What a connection test of `details` answers when it fails; nil when the warehouse
    /// answers. A host ending in `.invalid` (RFC 6761: it never resolves) is unreachable.
    static func connectionFailure(_ details: [String: Value]) -> Value? {
        guard let host = details["host"]?.stringValue else { return nil }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        guard name.lowercased().hasSuffix(".invalid") else { return nil }
        return ["message": .string("Host '\(host)' is not reachable"), "errors": ["host": "check your host settings"]]
    }

    /// Whether the emulated warehouse at `details` takes TLS: all do, except a host with `nossl` in its name.
    static func acceptsSSL(_ details: [String: Value]) -> Bool {
        !(details["host"]?.stringValue ?? "").lowercased().contains("nossl")
    }

    /// A new row before the body is applied: the server's fields and the defaults of the client's.
    static func newRow(id: Int, engine: String, now: String) -> [String: Value] {
        let flavor = flavors[engine]
        return [
            "id": .int(id), "created_at": .string(now), "updated_at": .string(now), "creator_id": 1, "is_sample": false,
            "is_audit": false, "initial_sync_status": "complete", "timezone": "UTC",
            "dbms_version": flavor.map { ["flavor": .string($0.0), "version": .string($0.1), "semantic-version": .array($0.2.map(Value.int))] }
                ?? .null,
            "features": ["basic-aggregations", "standard-deviation-aggregations", "expression-aggregations", "foreign-keys", "nested-queries"],
            "is_full_sync": true, "is_on_demand": false, "auto_run_queries": true, "refingerprint": nil, "cache_ttl": nil,
            "settings": nil, "description": nil, "caveats": nil, "points_of_interest": nil, "provider_name": nil,
        ]
    }

    /// The problem of a POST (`creating`) or PUT body as Metabase's schema sees it; nil when valid.
    static func problem(_ body: [String: Value], creating: Bool) -> EmulatorResponse? {
        func present(_ key: String) -> Value? {
            guard let value = body[key], !value.isNull else { return nil }
            return value
        }
        let name = present("name")
        if (creating || name != nil), (name?.stringValue ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            return invalid("name", "value must be a non-blank string.", received: body["name"])
        }
        let engine = present("engine")
        if (creating || engine != nil), !engines.contains(engine?.stringValue ?? "") {
            return invalid("engine", "value must be a valid database engine.", received: body["engine"])
        }
        let details = present("details")
        if (creating || details != nil), details?.objectValue == nil {
            return invalid("details", "value must be a map.", received: body["details"])
        }
        for key in ["is_full_sync", "is_on_demand", "auto_run_queries", "refingerprint"] where present(key) != nil {
            if present(key)?.boolValue == nil { return invalid(key, "value must be a boolean.", received: body[key]) }
        }
        for key in ["description", "caveats", "points_of_interest", "provider_name"] where present(key) != nil {
            if present(key)?.stringValue == nil { return invalid(key, "value must be a string.", received: body[key]) }
        }
        for key in ["settings", "write_data_details", "schedules"] where present(key) != nil {
            if present(key)?.objectValue == nil { return invalid(key, "value must be a map.", received: body[key]) }
        }
        if let ttl = present("cache_ttl"), (ttl.intValue ?? 0) <= 0 {
            return invalid("cache_ttl", "value must be an integer greater than zero.", received: ttl)
        }
        return nil
    }

    // MARK: answers

    /// A parameter validation error (malli): `{"errors": {field: text}, "specific-errors": {field: [...]}}`.
    static func invalid(_ field: String, _ text: String, received: Value?) -> EmulatorResponse {
        .json(
            400,
            [
                "errors": [field: .string(text)],
                "specific-errors": [field: [.string("\(text), received: \((received ?? .null).jsonString())")]],
            ])
    }

    static let notFound = EmulatorResponse.text(404, "Not found.")
    static let noEndpoint = EmulatorResponse.text(404, "API endpoint does not exist.")
    static let unauthorized = EmulatorResponse.text(401, "Unauthenticated")
    static let forbidden = EmulatorResponse.text(403, "You don't have permissions to do that.")
}
