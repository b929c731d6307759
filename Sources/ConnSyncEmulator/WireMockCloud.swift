import ConnSyncModel
import Foundation

/// wiremock-cloud's database-connection API (contracts.md + wiremock-cloud.update.md):
/// `/v1/users/{userId}/database-connections[/test]`, `/v1/database-connections/{id}`,
/// auth `Authorization: Token <key>`.
struct WireMockCloud: VendorEmulation {
    static let name = "wiremock-cloud"
    static let environment = ["token": "WIREMOCK_TOKEN"]
    static let databaseTypes: Set<String> = ["POSTGRESQL", "MYSQL", "SQLSERVER", "ORACLE"]
    static let baseFields = ["connectionName", "databaseType", "host", "port", "databaseName", "username"]

    static func errors(_ status: Int, _ title: String, detail: String? = nil, pointer: String? = nil) -> EmulatorResponse {
        var error: [String: Value] = ["title": .string(title)]
        if let detail { error["detail"] = .string(detail) }
        error["source"] = pointer.map { ["pointer": .string($0)] } ?? .emptyObject
        return .json(status, ["errors": [.object(error)]])
    }

    static let notFound = EmulatorResponse.json(404, ["code": 404, "message": "HTTP 404 Not Found"])
    static let unauthorized = EmulatorResponse.text(401, "Credentials are required to access this resource.")

    /// The object as the API returns it: no password, with `links.self`.
    static func view(_ object: Value, id: String) -> Value {
        var view = object
        view["password"] = nil
        view["links"] = ["self": .string("/v1/database-connections/\(id)")]
        return view
    }

    /// Checks the coordinates of a body; nil when valid.
    static func invalid(_ body: [String: Value], requirePassword: Bool, prefix: String) -> EmulatorResponse? {
        for field in baseFields where body[field] == nil || body[field]?.isNull == true {
            return errors(
                422, "Invalid JSON", detail: "json pointer \(prefix)/\(field) not present; it is required", pointer: "\(prefix)/\(field)")
        }
        for field in ["connectionName", "host", "databaseName", "username"] where (body[field]?.stringValue ?? "").isEmpty {
            return errors(422, "Invalid JSON", detail: "\(prefix)/\(field) must be a non-empty string", pointer: "\(prefix)/\(field)")
        }
        guard let type = body["databaseType"]?.stringValue, databaseTypes.contains(type) else {
            return errors(
                422, "Invalid JSON", detail: "\(prefix)/databaseType must be one of POSTGRESQL, MYSQL, SQLSERVER, ORACLE",
                pointer: "\(prefix)/databaseType")
        }
        guard case .int(let port)? = body["port"], (1...65535).contains(port) else {
            return errors(422, "Invalid JSON", detail: "\(prefix)/port must be an integer from 1 to 65535", pointer: "\(prefix)/port")
        }
        if let password = body["password"] {
            if password.stringValue == nil {
                return errors(422, "Invalid JSON", detail: "\(prefix)/password must be a string", pointer: "\(prefix)/password")
            }
        } else if requirePassword {
            return errors(
                422, "Invalid JSON", detail: "json pointer \(prefix)/password not present; it is required", pointer: "\(prefix)/password")
        }
        return nil
    }

    /// By id; the owner user per id; name → id (names are unique per organisation).
    private var store = OrderedStore()
    private var owner: [String: String] = [:]
    private var byName: [String: String] = [:]

    init() {}

    static func route(_ request: inout EmulatorRequest) -> String? {
        request.path.hasPrefix("/v1/users/") || request.path.hasPrefix("/v1/database-connections") ? "" : nil
    }

    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        let header = request.headers["authorization"] ?? ""
        return AuthHeader.scheme(header, "Token ", expected: credentials["token"]) ? .success(header) : .failure(unauthorized)
    }

    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        status == 404 ? notFound : errors(status, message)
    }

    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            var object = item
            let user = object["userId"]?.stringValue ?? "demo"
            object["userId"] = nil
            guard let name = object["connectionName"]?.stringValue else { throw AdminError("a wiremock-cloud object needs connectionName") }
            let id = object["id"]?.stringValue ?? context.ids.hex()
            object["id"] = .string(id)
            object["links"] = nil
            if let previous = byName[name], previous != id { throw AdminError("wiremock-cloud connectionName \(name) exists") }
            store.put(id, object)
            owner[id] = user
            byName[name] = id
        }
    }

    mutating func snapshot() -> [Value] {
        var items: [Value] = []
        for id in store.orderedKeys() {
            guard var object = store[id] else { continue }
            object["userId"] = .string(owner[id] ?? "")
            items.append(object)
        }
        return items
    }
}

extension WireMockCloud {
    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        let parts = request.segments
        // /v1/users/{userId}/database-connections[/test]
        if parts.count >= 4, parts[0] == "v1", parts[1] == "users", parts[3] == "database-connections" {
            let userId = parts[2]
            if parts.count == 4 {
                switch request.method {
                case "GET": return list(userId: userId, request: request)
                case "POST": return create(userId: userId, request: request, context: &context)
                default: return WireMockCloud.errors(405, "Method Not Allowed")
                }
            }
            if parts.count == 5, parts[4] == "test", request.method == "POST" {
                return test(request)
            }
            return WireMockCloud.notFound
        }
        // /v1/database-connections/{id}
        if parts.count == 3, parts[0] == "v1", parts[1] == "database-connections" {
            let id = parts[2]
            guard let stored = store[id] else { return WireMockCloud.notFound }
            switch request.method {
            case "GET":
                return .json(200, ["databaseConnection": WireMockCloud.view(stored, id: id)])
            case "PATCH":
                return update(id: id, stored: stored, request: request, context: &context)
            case "DELETE":
                store.remove(id)
                owner[id] = nil
                if let name = stored["connectionName"]?.stringValue { byName[name] = nil }
                context.save()
                return .empty(204)
            default:
                return WireMockCloud.errors(405, "Method Not Allowed")
            }
        }
        return WireMockCloud.notFound
    }

    private mutating func list(userId: String, request: EmulatorRequest) -> EmulatorResponse {
        let pageText = request.query["page"] ?? "1"
        let limitText = request.query["limit"] ?? "20"
        guard let page = Int(pageText), page >= 1 else {
            return WireMockCloud.errors(400, "Invalid query parameter format", detail: "The page parameter value must be a positive integer")
        }
        guard let limit = Int(limitText), (1...100).contains(limit) else {
            return WireMockCloud.errors(
                400, "Invalid query parameter format", detail: "The limit parameter value must be an integer from 1 to 100")
        }
        let filter = request.query["q"]?.lowercased()
        let owner = self.owner
        // A user's list is paged through, so it is kept per store version; a `q` lookup (one
        // name) filters that list each time instead of filling the cache with one-off lists.
        var matching = store.keys(userId) { id, _ in owner[id] == userId }
        if let filter, !filter.isEmpty {
            matching = matching.filter { store[$0]?["connectionName"]?.stringValue?.lowercased().contains(filter) ?? false }
        }
        let total = matching.count
        let totalPages = max(1, (total + limit - 1) / limit)
        let start = min((page - 1) * limit, total)
        let end = min(start + limit, total)
        let items = store.rendered(matching[start..<end]) { id, object in WireMockCloud.view(object, id: id) }
        let base = "/v1/users/\(userId)/database-connections"
        let extra = filter.map { "&q=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } ?? ""
        var links: [String: Value] = ["self": .string("\(base)?page=\(page)&limit=\(limit)\(extra)")]
        if page < totalPages { links["next"] = .string("\(base)?page=\(page + 1)&limit=\(limit)\(extra)") }
        if page > 1 { links["previous"] = .string("\(base)?page=\(page - 1)&limit=\(limit)\(extra)") }
        return .jsonList(
            200, key: "databaseConnections", items: items,
            rest: [
                "links": .object(links),
                "meta": ["start": .int(start), "end": .int(end), "total": .int(total), "page": .int(page), "totalPages": .int(totalPages)],
            ])
    }

    private func requestBody(_ request: EmulatorRequest) -> Result<[String: Value], EmulatorResponse> {
        guard let json = request.json else {
            return .failure(WireMockCloud.errors(400, "Invalid JSON", detail: "the request body is not valid JSON"))
        }
        guard let body = json["databaseConnection"]?.objectValue else {
            return .failure(
                WireMockCloud.errors(
                    422, "Invalid JSON", detail: "json pointer /databaseConnection not present; it is required and must have json type object",
                    pointer: "/databaseConnection"))
        }
        return .success(body)
    }

    private mutating func create(userId: String, request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        let body: [String: Value]
        switch requestBody(request) {
        case .success(let value): body = value
        case .failure(let response): return response
        }
        if let problem = WireMockCloud.invalid(body, requirePassword: true, prefix: "/databaseConnection") { return problem }
        let name = body["connectionName"]!.stringValue!
        if byName[name] != nil {
            return WireMockCloud.errors(
                422, "Duplicate connection name", detail: "A database connection named \(name) already exists",
                pointer: "/databaseConnection/connectionName")
        }
        let id = context.ids.hex()
        var object: [String: Value] = ["id": .string(id)]
        for field in WireMockCloud.baseFields + ["password"] { object[field] = body[field] }
        store.put(id, .object(object))
        owner[id] = userId
        byName[name] = id
        context.save()
        return .json(201, ["databaseConnection": WireMockCloud.view(.object(object), id: id)])
    }

    private mutating func update(id: String, stored: Value, request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        let body: [String: Value]
        switch requestBody(request) {
        case .success(let value): body = value
        case .failure(let response): return response
        }
        if let problem = WireMockCloud.invalid(body, requirePassword: false, prefix: "/databaseConnection") { return problem }
        let name = body["connectionName"]!.stringValue!
        if let other = byName[name], other != id {
            return WireMockCloud.errors(
                422, "Duplicate connection name", detail: "A database connection named \(name) already exists",
                pointer: "/databaseConnection/connectionName")
        }
        var object = stored
        for field in WireMockCloud.baseFields { object[field] = body[field] }
        if let password = body["password"] { object["password"] = password }
        if let old = stored["connectionName"]?.stringValue { byName[old] = nil }
        byName[name] = id
        store.put(id, object)
        context.save()
        return .json(200, ["databaseConnection": WireMockCloud.view(object, id: id)])
    }

    private func test(_ request: EmulatorRequest) -> EmulatorResponse {
        guard let body = request.json?.objectValue else {
            return WireMockCloud.errors(400, "Invalid JSON", detail: "the request body is not valid JSON")
        }
        var problems: [Value] = []
        for field in ["databaseType", "host", "port", "databaseName", "username", "password"] where body[field] == nil {
            problems.append(["title": "Missing field", "detail": .string("\(field) is required")])
        }
        if let host = body["host"]?.stringValue, host.contains("unreachable") {
            problems.append(["title": "Connection failed", "detail": .string("could not connect to \(host)")])
        }
        return .json(200, ["outcome": .string(problems.isEmpty ? "SUCCESS" : "FAILURE"), "errors": .array(problems)])
    }
}
