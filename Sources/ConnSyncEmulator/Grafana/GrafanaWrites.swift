import ConnSyncModel
import Foundation

/// Create and update of `/api/datasources` (grafana.contract.md §3.4, §3.5).
extension Grafana {
    /// `POST /api/datasources`: 200 (not 201) `{"datasource", "id", "message", "name"}`.
    /// The uid is the body's when given (400 when it is not a valid uid), else the
    /// server's; an empty name becomes `<type>`, `<type>-1`, ...; the first data source
    /// becomes the default; 409 on a taken name or uid.
    mutating func create(_ request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        guard var command = GrafanaCommand(request.json, requireName: false) else { return GrafanaDataSource.badRequest }
        if command.jsonData?["teamHttpHeaders"] != nil {
            return GrafanaDataSource.message(
                403, "Cannot create datasource with team HTTP headers, need to use updateDatasourceLBACRules API")
        }
        // On create the URL is checked only when one is given.
        if !command.url.isEmpty, !GrafanaDataSource.isValidURL(command.url) { return GrafanaDataSource.invalidURL }
        if command.name.isEmpty { command.name = availableName(command.type) }
        if let problem = Self.lengthProblem(command) { return problem }
        if !command.uid.isEmpty, !GrafanaDataSource.isValidUID(command.uid) {
            return GrafanaDataSource.validation("datasource.uidInvalid", "Invalid datasource UID.")
        }
        if uidByName[command.name] != nil { return GrafanaDataSource.message(409, "data source with the same name already exists") }
        if !command.uid.isEmpty, store[command.uid] != nil {
            return GrafanaDataSource.message(409, "data source with the same uid already exists")
        }
        let uid = command.uid.isEmpty ? newUID(&context) : command.uid
        // The first data source of the organization becomes the default, whatever was asked.
        command.isDefault = command.isDefault || store.count == 0
        let row = Self.row(command, id: takeID(), uid: uid, version: 1, secrets: command.secureJsonData, readOnly: false)
        put(row)
        if command.isDefault { clearDefault(except: uid) }
        context.save()
        return Self.answer(row, message: "Datasource added")
    }

    /// `PUT /api/datasources/uid/{uid}`: replaces the row with the body (an omitted
    /// `jsonData` becomes `{}`, omitted `user`/`database` become "", omitted booleans
    /// false; an empty `basicAuthUser`, or an empty `url` of a type that does not need
    /// one, keeps the stored value), merges `secureJsonData` per key, and checks
    /// `version` when one is sent: stored ≤ sent passes and stores sent + 1, else 409;
    /// without one there is no lock and the version becomes 1.
    mutating func update(uid: String, request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        guard let command = GrafanaCommand(request.json, requireName: true) else { return GrafanaDataSource.badRequest }
        // On update the URL is checked every time; empty passes only for types that need none.
        if command.url.isEmpty {
            if GrafanaDataSource.urlRequired.contains(command.type) { return GrafanaDataSource.invalidURL }
        } else if !GrafanaDataSource.isValidURL(command.url) {
            return GrafanaDataSource.invalidURL
        }
        guard let stored = store[uid] else { return GrafanaDataSource.notFound }
        if stored["readOnly"]?.boolValue == true { return GrafanaDataSource.message(403, "Cannot update read-only data source") }
        if !command.uid.isEmpty, command.uid != uid {
            return GrafanaDataSource.message(400, "The uid in the body does not match the uid in the path; uids cannot be changed")
        }
        if let problem = Self.lengthProblem(command) { return problem }
        if let other = uidByName[command.name], other != uid {
            return GrafanaDataSource.message(409, "Failed to update datasource: data source with the same name already exists")
        }
        let storedVersion = stored["version"]?.intValue ?? 0
        if command.version != 0, storedVersion > command.version { return GrafanaDataSource.versionConflict }

        var secrets: [String: String] = [:]
        for (key, value) in stored["secureJsonData"]?.objectValue ?? [:] { secrets[key] = value.stringValue ?? "" }
        for (key, value) in command.secureJsonData { secrets[key] = value }
        var replacement = command
        if replacement.basicAuthUser.isEmpty { replacement.basicAuthUser = stored["basicAuthUser"]?.stringValue ?? "" }
        if replacement.url.isEmpty { replacement.url = stored["url"]?.stringValue ?? "" }
        // LBAC rules survive: they change only through their own API.
        if let rules = stored["jsonData"]?["teamHttpHeaders"] {
            replacement.jsonData = (replacement.jsonData ?? [:]).merging(["teamHttpHeaders": rules]) { $1 }
        }
        guard let id = stored["id"]?.intValue else { return GrafanaDataSource.message(500, "Failed to update datasource") }
        let row = Self.row(replacement, id: id, uid: uid, version: command.version + 1, secrets: secrets, readOnly: false)
        put(row)
        if command.isDefault { clearDefault(except: uid) }
        context.save()
        return Self.answer(row, message: "Datasource updated")
    }

    /// `<type>`, `<type>-1`, ... : the first one no data source has (names compared case-insensitively).
    private func availableName(_ type: String) -> String {
        let base = type.lowercased()
        let taken = Set(uidByName.keys.map { $0.lowercased() })
        var name = base
        for suffix in 1...(taken.count + 1) where taken.contains(name) {
            name = "\(base)-\(suffix)"
        }
        return name
    }

    /// Grafana's length limits: a name of at most 190 characters, a URL of at most 255.
    private static func lengthProblem(_ command: GrafanaCommand) -> EmulatorResponse? {
        if command.name.count > 190 { return GrafanaDataSource.validation("datasource.nameInvalid", "Invalid datasource name.") }
        if command.url.count > 255 { return GrafanaDataSource.validation("datasource.urlInvalid", "Invalid datasource URL.") }
        return nil
    }

    /// The stored row a command makes: every column, whatever the body left out.
    private static func row(
        _ command: GrafanaCommand, id: Int, uid: String, version: Int, secrets: [String: String], readOnly: Bool
    ) -> Value {
        [
            "id": .int(id), "uid": .string(uid), "orgId": 1, "name": .string(command.name), "type": .string(command.type),
            "access": .string(command.access), "url": .string(command.url), "user": .string(command.user),
            "database": .string(command.database), "basicAuth": .bool(command.basicAuth), "basicAuthUser": .string(command.basicAuthUser),
            "withCredentials": .bool(command.withCredentials), "isDefault": .bool(command.isDefault),
            "jsonData": .object(command.jsonData ?? [:]), "secureJsonData": .object(secrets.mapValues(Value.string)),
            "version": .int(version), "readOnly": .bool(readOnly), "apiVersion": "",
        ]
    }

    private static func answer(_ row: Value, message: String) -> EmulatorResponse {
        .json(
            200,
            [
                "datasource": GrafanaDataSource.full(row), "id": row["id"] ?? .null, "message": .string(message),
                "name": row["name"] ?? .null,
            ])
    }
}
