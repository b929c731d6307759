import ConnSyncModel
import Foundation

/// Create, update and the dry-run test of `/api/database` (metabase.contract.md §3.3, §3.4, §6).
extension Metabase {
    /// `POST /api/database`: 200 (not 201) with the new row, masked. Names are not
    /// unique. The connection is tested first (400 `{"message", "errors"}`, nothing
    /// stored, when it fails); where the driver has `ssl` and the body does not ask
    /// for it, `ssl: true` is tried first and kept when the warehouse takes it. A sent
    /// mask is stored as the literal password (the substitution is PUT's only).
    mutating func create(_ request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        let body = request.json?.objectValue ?? [:]
        if let problem = MetabaseDatabase.problem(body, creating: true) { return problem }
        guard let engine = body["engine"]?.stringValue, var details = body["details"]?.objectValue, let name = body["name"] else {
            return MetabaseDatabase.invalid("details", "value must be a map.", received: body["details"])
        }
        if let failure = MetabaseDatabase.connectionFailure(details) { return .json(400, failure) }
        if MetabaseDatabase.sslEngines.contains(engine), details["ssl"]?.boolValue != true, MetabaseDatabase.acceptsSSL(details) {
            details["ssl"] = true
        }
        let id = takeID()
        var row = MetabaseDatabase.newRow(id: id, engine: engine, now: Timestamps.now())
        row["name"] = name
        row["engine"] = .string(engine)
        row["details"] = .object(storeSecrets(details, engine: engine))
        for key in ["is_full_sync", "is_on_demand", "auto_run_queries", "cache_ttl", "provider_name"] {
            if let value = body[key], !value.isNull { row[key] = value }
        }
        let stored = MetabaseDatabase.withSchedules(.object(row))
        put(stored)
        context.save()
        return .json(200, MetabaseDatabase.view(stored))
    }

    /// `PUT /api/database/:id`: a top-level patch (omitted or null keys keep their
    /// value, so `description` and the like cannot be cleared) with three exceptions:
    /// an omitted `is_on_demand` becomes false, an omitted `cache_ttl` null, and a
    /// present `provider_name`/`write_data_details` is written even when null.
    /// `details` merge shallowly into the stored ones (a key sent as null becomes null,
    /// a sensitive key sent as the mask keeps the stored value); when the merged
    /// details or the engine change, the connection is tested first (400, nothing written).
    mutating func update(_ stored: Value, request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        guard let body = request.body.isEmpty ? [:] : request.json?.objectValue else {
            return MetabaseDatabase.invalid("body", "value must be a map.", received: request.json)
        }
        if let problem = MetabaseDatabase.problem(body, creating: false) { return problem }
        let engine = stored["engine"]?.stringValue ?? ""
        let newEngine = body["engine"]?.stringValue ?? engine
        if stored["is_sample"]?.boolValue == true, newEngine != engine {
            return .text(400, "The engine on a sample database cannot be changed.")
        }
        let storedDetails = stored["details"]?.objectValue ?? [:]
        var details = storedDetails
        if let incoming = body["details"]?.objectValue { details = merged(storedDetails, incoming, engine: newEngine) }
        if details != storedDetails || newEngine != engine, let failure = MetabaseDatabase.connectionFailure(details) {
            return .json(400, failure)
        }
        var row = stored
        row["engine"] = .string(newEngine)
        row["details"] = .object(details)
        for key in ["name", "refingerprint", "is_full_sync", "description", "caveats", "points_of_interest", "auto_run_queries"] {
            if let value = body[key], !value.isNull { row[key] = value }
        }
        if let changes = body["settings"]?.objectValue {
            var settings = row["settings"]?.objectValue ?? [:]
            for (key, value) in changes { settings[key] = value.isNull ? nil : value }
            row["settings"] = .object(settings)
        }
        row["is_on_demand"] = .bool(body["is_on_demand"]?.boolValue ?? false)
        row["cache_ttl"] = body["cache_ttl"] ?? .null
        for key in ["provider_name", "write_data_details"] where body[key] != nil { row[key] = body[key] }
        row["updated_at"] = .string(Timestamps.now())
        row = MetabaseDatabase.withSchedules(row)
        put(row)
        context.save()
        return .json(200, MetabaseDatabase.detailView(row))
    }

    /// `POST /api/database/validate` with `{"details": {"engine", "details"}}`: the same
    /// test without creating anything; 200 with `valid` either way.
    func validate(_ request: EmulatorRequest) -> EmulatorResponse {
        guard let outer = request.json?["details"]?.objectValue, let engine = outer["engine"]?.stringValue,
            MetabaseDatabase.engines.contains(engine), let details = outer["details"]?.objectValue
        else { return MetabaseDatabase.invalid("details", "value must be a map.", received: request.json?["details"]) }
        guard case .object(var failure)? = MetabaseDatabase.connectionFailure(details) else { return .json(200, ["valid": true]) }
        failure["valid"] = false
        return .json(200, .object(failure))
    }

    /// The stored details of a new row: a secret-typed `<prop>-value` gets its
    /// server-side `<prop>-id` and `<prop>-options: "uploaded"`; an empty one (or the
    /// mask) stores no secret.
    mutating func storeSecrets(_ details: [String: Value], engine: String) -> [String: Value] {
        var result = details
        for property in MetabaseDatabase.secretProperties[engine] ?? [] {
            let valueKey = "\(property)-value"
            guard let value = details[valueKey] else { continue }
            guard let text = value.stringValue, !text.isEmpty, text != MetabaseDatabase.mask else {
                result[valueKey] = nil
                continue
            }
            if let id = result["\(property)-id"]?.intValue {
                nextSecretID = max(nextSecretID, id + 1)
            } else {
                result["\(property)-id"] = .int(nextSecretID)
                nextSecretID += 1
            }
            if result["\(property)-options"] == nil { result["\(property)-options"] = "uploaded" }
        }
        return result
    }

    /// `(merge stored incoming*)`, where incoming* has every sensitive key sent as the
    /// mask replaced by the stored value, and a secret-typed `<prop>-value` sent as the
    /// mask dropped (the stored secret stays), sent empty or null deleted with its id.
    private mutating func merged(_ stored: [String: Value], _ incoming: [String: Value], engine: String) -> [String: Value] {
        var sent = incoming
        for (key, value) in incoming where value.stringValue == MetabaseDatabase.mask && MetabaseDatabase.sensitiveKeys.contains(key) {
            sent[key] = stored[key] ?? .null
        }
        var deleted: [String] = []
        var fresh: [String: Value] = [:]
        for property in MetabaseDatabase.secretProperties[engine] ?? [] {
            let valueKey = "\(property)-value"
            guard let value = sent[valueKey] else { continue }
            if value.stringValue == MetabaseDatabase.mask {
                sent[valueKey] = nil
            } else if value.isNull || value.stringValue == "" {
                sent[valueKey] = nil
                deleted += [valueKey, "\(property)-id"]
            } else {
                fresh[valueKey] = value
                sent["\(property)-id"] = nil
            }
        }
        var result = stored
        for (key, value) in sent { result[key] = value }
        for key in deleted { result[key] = nil }
        for key in fresh.keys { result[String(key.dropLast(6)) + "-id"] = nil }
        return storeSecrets(result, engine: engine)
    }
}
