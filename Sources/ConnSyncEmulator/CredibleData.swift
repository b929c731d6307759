import ConnSyncModel
import Foundation

/// credible-data's project connections API (contracts.md + credible-data.update.md):
/// `/api/v0/projects/{project}/connections[/{name}]`, `/api/v0/connections/test`;
/// auth `Authorization: Bearer <token>`.
struct CredibleData: VendorEmulation {
    static let name = "credible-data"
    static let environment = ["token": "CREDIBLE_TOKEN"]
    static let types: [String: String] = [
        "postgres": "postgresConnection", "mysql": "mysqlConnection", "bigquery": "bigqueryConnection",
        "snowflake": "snowflakeConnection", "duckdb": "duckdbConnection", "motherduck": "motherduckConnection",
        "trino": "trinoConnection",
    ]
    static let blocks = Set(types.values)
    static let secretKeys: Set<String> = [
        "password", "connectionString", "serviceAccountKeyJson", "privateKey", "privateKeyPass", "accessToken",
        "secretAccessKey", "secret", "sessionToken", "peakaKey",
    ]

    static func error(_ status: Int, _ message: String) -> EmulatorResponse {
        .json(status, ["code": .int(status), "message": .string(message)])
    }

    static func isValidName(_ name: String) -> Bool {
        name.range(of: "^[a-zA-Z0-9_-]+$", options: .regularExpression) != nil
    }

    /// The stored object with the server's fields filled in.
    static func stored(_ object: Value, project: String, name: String) -> Value {
        var result = object
        result["name"] = .string(name)
        result["resource"] = .string("/api/v0/projects/\(project)/connections/\(name)")
        let type = object["type"]?.stringValue ?? "postgres"
        result["attributes"] = [
            "dialectName": .string(type == "postgres" ? "postgres" : type), "isPool": false, "canPersist": .bool(type != "bigquery"),
            "canStream": true,
        ]
        return result
    }

    /// As the API returns it: secret fields of every block removed (also nested ones).
    static func view(_ object: Value) -> Value {
        guard case .object(var fields) = object else { return object }
        for (key, value) in fields where blocks.contains(key) {
            fields[key] = stripSecrets(value)
        }
        return .object(fields)
    }

    static func stripSecrets(_ value: Value) -> Value {
        switch value {
        case .object(let fields):
            var result: [String: Value] = [:]
            for (key, item) in fields where !secretKeys.contains(key) { result[key] = stripSecrets(item) }
            return .object(result)
        case .array(let items):
            return .array(items.map(stripSecrets))
        default:
            return value
        }
    }

    /// Per project, by name.
    private var projects: [String: OrderedStore] = [:]

    init() {}

    static func route(_ request: inout EmulatorRequest) -> String? {
        request.path.hasPrefix("/api/v0/") ? "" : nil
    }

    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        let header = request.headers["authorization"] ?? ""
        return AuthHeader.scheme(header, "Bearer ", expected: credentials["token"])
            ? .success(header) : .failure(error(401, "Unauthorized: a valid Bearer token is required"))
    }

    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        error(status, message)
    }

    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            var object = item
            let project = object["project"]?.stringValue ?? "demo"
            object["project"] = nil
            guard let name = object["name"]?.stringValue else { throw AdminError("a credible-data object needs name") }
            projects[project, default: OrderedStore()].put(name, Self.stored(object, project: project, name: name))
        }
    }

    mutating func snapshot() -> [Value] {
        var items: [Value] = []
        for project in projects.keys.sorted() {
            for object in projects[project]!.orderedValues() {
                var copy = object
                copy["project"] = .string(project)
                items.append(copy)
            }
        }
        return items
    }
}

extension CredibleData {
    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        let parts = request.segments
        // POST /api/v0/connections/test
        if parts == ["api", "v0", "connections", "test"], request.method == "POST" {
            guard let body = request.json?.objectValue, let type = body["type"]?.stringValue, let block = CredibleData.types[type] else {
                return CredibleData.error(400, "the body must be a connection object with a known type")
            }
            let host = body[block]?["host"]?.stringValue ?? ""
            if host.contains("unreachable") {
                return .json(200, ["status": "failed", "errorMessage": .string("could not connect to \(host)")])
            }
            return .json(200, ["status": "ok"])
        }
        guard parts.count >= 4, parts[0] == "api", parts[1] == "v0", parts[2] == "projects", parts.count <= 6, parts[4] == "connections"
        else { return CredibleData.error(404, "Not found") }
        let project = parts[3]
        // The project's store is mutated in place (`projects[project, default:]`), never
        // through a local copy, which would copy all of its objects on every write.
        if parts.count == 5 {
            guard request.method == "GET" else { return CredibleData.error(405, "Method not allowed") }
            let keys = projects[project, default: OrderedStore()].orderedKeys()
            return .jsonArray(200, items: projects[project, default: OrderedStore()].rendered(keys) { CredibleData.view($1) })
        }
        let name = parts[5]
        switch request.method {
        case "GET":
            guard let object = projects[project]?[name] else { return CredibleData.error(404, "Connection \"\(name)\" not found") }
            return .json(200, CredibleData.view(object))
        case "POST":
            guard CredibleData.isValidName(name) else {
                return CredibleData.error(400, "Invalid connection name \"\(name)\": it must match ^[a-zA-Z0-9_-]+$")
            }
            guard name != "duckdb" else { return CredibleData.error(400, "The connection name \"duckdb\" is reserved") }
            guard let body = request.json?.objectValue else { return CredibleData.error(400, "The request body is not valid JSON") }
            guard let type = body["type"]?.stringValue, let block = CredibleData.types[type] else {
                return CredibleData.error(
                    400, "type is required: one of postgres, mysql, bigquery, snowflake, duckdb, motherduck, trino")
            }
            guard body[block]?.objectValue != nil else { return CredibleData.error(400, "\(block) is required for type \(type)") }
            guard projects[project]?[name] == nil else { return CredibleData.error(409, "Connection \"\(name)\" already exists") }
            var object: [String: Value] = ["type": .string(type)]
            for (key, value) in body where CredibleData.blocks.contains(key) { object[key] = value }
            projects[project, default: OrderedStore()].put(name, CredibleData.stored(.object(object), project: project, name: name))
            context.save()
            return .json(201, ["message": .string("Connection \"\(name)\" created successfully")])
        case "PATCH":
            guard let existing = projects[project]?[name] else { return CredibleData.error(404, "Connection \"\(name)\" not found") }
            guard let body = request.json?.objectValue else { return CredibleData.error(400, "The request body is not valid JSON") }
            let unknown = body.keys.filter { !CredibleData.blocks.contains($0) }.sorted()
            guard unknown.isEmpty else { return CredibleData.error(400, "Unknown fields: \(unknown.joined(separator: ", "))") }
            // Shallow top-level merge: a block that is sent replaces the stored block whole.
            var object = existing
            for (key, value) in body { object[key] = value }
            projects[project, default: OrderedStore()].put(name, object)
            context.save()
            return .json(200, ["message": .string("Connection \"\(name)\" updated successfully")])
        case "DELETE":
            guard projects[project]?[name] != nil else { return CredibleData.error(404, "Connection \"\(name)\" not found") }
            projects[project, default: OrderedStore()].remove(name)
            context.save()
            return .json(200, ["message": .string("Connection \"\(name)\" deleted successfully")])
        default:
            return CredibleData.error(405, "Method not allowed")
        }
    }
}
