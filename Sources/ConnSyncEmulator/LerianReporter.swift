import ConnSyncModel
import Foundation

/// lerian-reporter's connection management API (contracts.md + lerian-reporter.update.md):
/// `/v1/management/connections[/{id}[/test]]`, tenants by `X-Tenant-ID`; auth
/// `Authorization: Bearer <token>` only when a token is configured (Access Manager).
struct LerianReporter: VendorEmulation {
    static let name = "lerian-reporter"
    static let environment = ["token": "REPORTER_TOKEN"]
    static let types: Set<String> = ["ORACLE", "SQL_SERVER", "POSTGRESQL", "MONGODB", "MYSQL"]
    static let sslModes: Set<String> = ["disable", "require", "verify-ca", "verify-full"]
    static let fields: Set<String> = [
        "configName", "type", "host", "port", "databaseName", "userName", "password", "schema", "ssl", "metadata",
    ]
    static let required = ["configName", "type", "host", "port", "databaseName", "userName", "password"]

    static func error(_ status: Int, _ code: String, _ title: String, _ message: String) -> EmulatorResponse {
        .json(status, ["code": .string(code), "title": .string(title), "message": .string(message)])
    }

    static let notFound = error(
        404, "FET-1001", "Entity Not Found",
        "It was not possible to find the connection entity during the requested flow. Please review the data provided in the request.")
    static let conflict = error(
        409, "FET-1002", "Conflict",
        "An entity of type connection with the same unique attributes already exists. Please use different values to avoid conflicts and review the data provided in the request.")
    static let jobInProgress = error(
        409, "FET-1021", "Job In Progress", "The operation cannot be completed because there are active jobs for this connection.")
    static let invalidID = error(
        400, "FET-0404", "Invalid Path Parameter",
        "Path parameters is in an incorrect format. Please check the following parameter 'id' and ensure they meet the required format before trying again.")
    static let unauthorized = error(401, "FET-0401", "Unauthorized", "A valid Bearer token is required in the Authorization header.")

    /// 32 hex digits, optionally in the 8-4-4-4-12 dashed form.
    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let hex = bytes.filter { $0 != UInt8(ascii: "-") }
        guard hex.count == 32, hex.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }) else { return false }
        guard bytes.count == 36 else { return bytes.count == 32 }
        return [8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") }
    }

    /// As the API returns it: write-only fields removed.
    static func view(_ object: Value) -> Value {
        var view = object
        view["password"] = nil
        view["deletedAt"] = nil
        if case .object(var ssl)? = view["ssl"] {
            ssl["ca"] = nil
            ssl["cert"] = nil
            ssl["key"] = nil
            view["ssl"] = .object(ssl)
        }
        return view
    }

    /// Validates the fields present in `body`; nil when valid.
    static func invalid(_ body: [String: Value], creating: Bool) -> EmulatorResponse? {
        let unknown = body.keys.filter { !fields.contains($0) }.sorted()
        if !unknown.isEmpty {
            return error(
                400, "FET-0400", "Unexpected Fields in the Request",
                "The request body contains more fields than expected. Please send only the allowed fields as per the documentation. The unexpected fields are listed in the fields object: \(unknown.joined(separator: ", "))."
            )
        }
        if creating {
            let missing = required.filter { body[$0] == nil || body[$0]?.isNull == true }
            if !missing.isEmpty {
                return error(
                    400, "FET-0402", "Missing Fields in Request",
                    "Your request is missing one or more required fields: \(missing.joined(separator: ", ")). Please refer to the documentation to ensure all necessary fields are included in your request."
                )
            }
        }
        if let name = body["configName"] {
            guard let text = name.stringValue, (3...100).contains(text.count) else {
                return error(400, "FET-0401", "Invalid Field", "configName must be a string of 3 to 100 characters.")
            }
        }
        if let type = body["type"], !(type.stringValue.map(types.contains) ?? false) {
            return error(400, "FET-0401", "Invalid Field", "type must be one of ORACLE, SQL_SERVER, POSTGRESQL, MONGODB, MYSQL.")
        }
        if let port = body["port"] {
            guard case .int(let number) = port, (1...65535).contains(number) else {
                return error(400, "FET-0401", "Invalid Field", "port must be an integer from 1 to 65535.")
            }
        }
        for field in ["host", "databaseName", "userName", "password", "schema"] {
            if let value = body[field], value.stringValue == nil {
                return error(400, "FET-0401", "Invalid Field", "\(field) must be a string.")
            }
        }
        if let ssl = body["ssl"] {
            guard case .object(let settings) = ssl else {
                return error(400, "FET-0401", "Invalid Field", "ssl must be an object.")
            }
            guard let mode = settings["mode"]?.stringValue else {
                return error(400, "FET-0402", "Missing Fields in Request", "ssl.mode is required when ssl is given.")
            }
            guard sslModes.contains(mode) else {
                return error(400, "FET-0401", "Invalid Field", "ssl.mode must be one of disable, require, verify-ca, verify-full.")
            }
            if creating, settings["ca"]?.stringValue == nil {
                return error(400, "FET-0402", "Missing Fields in Request", "ssl.ca is required when ssl is given.")
            }
        }
        if let metadata = body["metadata"] {
            guard case .object(let map) = metadata else {
                return error(400, "FET-0410", "Invalid Metadata Nesting", "The metadata object cannot contain nested values.")
            }
            for (key, value) in map {
                guard let text = value.stringValue else {
                    return error(
                        400, "FET-0410", "Invalid Metadata Nesting",
                        "The metadata object cannot contain nested values. Please ensure that the value is not nested and try again.")
                }
                if key.count > 100 {
                    return error(
                        400, "FET-0412", "Metadata Key Length Exceeded",
                        "The metadata key exceeds the maximum allowed length of 100 characters. Please use a shorter key.")
                }
                if text.count > 2000 {
                    return error(
                        400, "FET-0411", "Metadata Value Length Exceeded",
                        "The metadata value exceeds the maximum allowed length of 2000 characters. Please use a shorter value.")
                }
            }
        }
        return nil
    }

    /// Per tenant, by id (deleted ones kept, with `deletedAt`); configName → id of live
    /// connections; connection id → writes a job still refuses.
    private var tenants: [String: OrderedStore] = [:]
    private var byName: [String: [String: String]] = [:]
    private var jobs: [String: Int] = [:]

    init() {}

    static func route(_ request: inout EmulatorRequest) -> String? {
        request.path.hasPrefix("/v1/management/connections") ? "" : nil
    }

    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        guard let token = credentials["token"] else { return .success("") }
        let header = request.headers["authorization"] ?? ""
        return AuthHeader.scheme(header, "Bearer ", expected: token) ? .success(header) : .failure(unauthorized)
    }

    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        switch status {
        case 409: return jobInProgress
        case 503: return error(503, "FET-0003", "Service Unavailable", message)
        case 500...: return error(status, "FET-0002", "Internal Server Error", message)
        default: return error(status, "FET-0001", "Error", message)
        }
    }

    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            var object = item
            let tenant = object["tenantId"]?.stringValue ?? ""
            object["tenantId"] = nil
            guard let name = object["configName"]?.stringValue else { throw AdminError("a lerian-reporter object needs configName") }
            let id = object["id"]?.stringValue ?? context.ids.uuid()
            object["id"] = .string(id)
            let now = Timestamps.now()
            if object["createdAt"] == nil { object["createdAt"] = .string(now) }
            if object["updatedAt"] == nil { object["updatedAt"] = .string(now) }
            if object["productName"] == nil { object["productName"] = "demo" }
            tenants[tenant, default: OrderedStore()].put(id, object)
            if object["deletedAt"] == nil { byName[tenant, default: [:]][name] = id }
        }
    }

    mutating func snapshot() -> [Value] {
        var items: [Value] = []
        for tenant in tenants.keys.sorted() {
            for object in tenants[tenant]!.orderedValues() {
                var copy = object
                if !tenant.isEmpty { copy["tenantId"] = .string(tenant) }
                items.append(copy)
            }
        }
        return items
    }

    /// `POST /_emulator/lerian/jobs`: `{"id", "calls": N}` or `{"id", "active": false}`.
    mutating func admin(_ request: EmulatorRequest) -> EmulatorResponse? {
        guard request.method == "POST", request.path == "/_emulator/lerian/jobs" else { return nil }
        guard let spec = request.json, let id = spec["id"]?.stringValue else {
            return .json(400, ["error": "the body must be {\"id\": \"<connection id>\", \"calls\": N} or {\"id\": ..., \"active\": false}"])
        }
        let calls = spec["active"]?.boolValue == false ? nil : (spec["calls"]?.intValue ?? 1)
        setJob(id: id, calls: calls)
        return .json(200, ["id": .string(id), "calls": calls.map(Value.int) ?? .null])
    }

    /// Marks a connection as used by a job for the next `calls` writes (nil clears).
    mutating func setJob(id: String, calls: Int?) {
        jobs[id] = calls
    }

    /// Whether a job holds the connection now; consumes one call.
    private mutating func consumeJob(_ id: String) -> Bool {
        guard let remaining = jobs[id], remaining > 0 else { return false }
        jobs[id] = remaining - 1 == 0 ? nil : remaining - 1
        return true
    }
}

extension Emulator {
    /// Makes the next `calls` PATCH/DELETE of a lerian-reporter connection answer 409 FET-1021.
    public func setLerianJob(id: String, calls: Int?) async {
        _ = await state.update(LerianReporter.self) { $0.setJob(id: id, calls: calls) }
    }
}

extension LerianReporter {
    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        let parts = request.segments
        guard parts.count >= 3, parts[0] == "v1", parts[1] == "management", parts[2] == "connections" else {
            return LerianReporter.error(404, "FET-0005", "Not Found", "The requested resource does not exist.")
        }
        let tenant = request.headers["x-tenant-id"] ?? ""
        if parts.count == 3 {
            switch request.method {
            case "GET": return list(tenant: tenant, request: request)
            case "POST": return create(tenant: tenant, request: request, context: &context)
            default: return LerianReporter.error(405, "FET-0005", "Method Not Allowed", "The method is not allowed on this path.")
            }
        }
        let id = parts[3]
        guard LerianReporter.isUUID(id) else { return LerianReporter.invalidID }
        guard let stored = tenants[tenant]?[id], stored["deletedAt"] == nil else { return LerianReporter.notFound }
        if parts.count == 5, parts[4] == "test", request.method == "POST" {
            let down = stored["host"]?.stringValue?.contains("unreachable") ?? false
            return .json(
                200,
                [
                    "status": .string(down ? "failure" : "success"),
                    "message": .string(down ? "Could not connect to the database" : "Connection successful"), "latencyMs": 12,
                ])
        }
        guard parts.count == 4 else { return LerianReporter.notFound }
        switch request.method {
        case "GET":
            return .json(200, LerianReporter.view(stored))
        case "PATCH":
            return update(tenant: tenant, id: id, stored: stored, request: request, context: &context)
        case "DELETE":
            if consumeJob(id) { return LerianReporter.jobInProgress }
            var deleted = stored
            deleted["deletedAt"] = .string(Timestamps.now())
            tenants[tenant]?.put(id, deleted)
            if let name = stored["configName"]?.stringValue { byName[tenant]?[name] = nil }
            context.save()
            return .empty(204)
        default:
            return LerianReporter.error(405, "FET-0005", "Method Not Allowed", "The method is not allowed on this path.")
        }
    }

    private mutating func list(tenant: String, request: EmulatorRequest) -> EmulatorResponse {
        guard let page = Int(request.query["page"] ?? "1"), page >= 1 else {
            return LerianReporter.error(400, "FET-0405", "Invalid Pagination Parameter", "page must be a positive integer.")
        }
        guard let limit = Int(request.query["limit"] ?? "10"), limit >= 1 else {
            return LerianReporter.error(400, "FET-0406", "Pagination Limit Exceeded", "limit must be an integer from 1 to 100.")
        }
        guard limit <= 100 else {
            return LerianReporter.error(
                400, "FET-0406", "Pagination Limit Exceeded", "The pagination limit exceeds the maximum allowed of 100 items per page.")
        }
        let order = request.query["sortOrder"] ?? "asc"
        guard order == "asc" || order == "desc" else {
            return LerianReporter.error(400, "FET-0407", "Invalid Sort Order", "sortOrder must be asc or desc.")
        }
        // Mutated in place (the render cache), never through a local copy of the store.
        var live = tenants[tenant, default: OrderedStore()].keys("live") { $1["deletedAt"] == nil }
        if order == "desc" { live.reverse() }
        let start = min((page - 1) * limit, live.count)
        let end = min(start + limit, live.count)
        let items = tenants[tenant, default: OrderedStore()].rendered(live[start..<end]) { LerianReporter.view($1) }
        return .jsonList(200, key: "items", items: items, rest: ["page": .int(page), "limit": .int(limit), "total": .int(live.count)])
    }

    private mutating func create(tenant: String, request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        guard let product = request.headers["x-product-name"], !product.isEmpty else {
            return LerianReporter.error(
                400, "FET-0402", "Missing Fields in Request", "The X-Product-Name header is required to create a connection.")
        }
        guard product.count <= 100, product.range(of: "^[a-zA-Z0-9_-]+$", options: .regularExpression) != nil else {
            return LerianReporter.error(
                400, "FET-0401", "Invalid Field", "X-Product-Name must match ^[a-zA-Z0-9_-]+$ and be at most 100 characters.")
        }
        guard let body = request.json?.objectValue else {
            return LerianReporter.error(400, "FET-0001", "Bad Request", "The request body is not valid JSON.")
        }
        if let problem = LerianReporter.invalid(body, creating: true) { return problem }
        let name = body["configName"]!.stringValue!
        if byName[tenant]?[name] != nil { return LerianReporter.conflict }
        let id = context.ids.uuid()
        let now = Timestamps.now()
        var object = body
        object["id"] = .string(id)
        object["productName"] = .string(product.lowercased())
        object["createdAt"] = .string(now)
        object["updatedAt"] = .string(now)
        tenants[tenant, default: OrderedStore()].put(id, .object(object))
        byName[tenant, default: [:]][name] = id
        context.save()
        return .json(201, LerianReporter.view(.object(object)))
    }

    private mutating func update(tenant: String, id: String, stored: Value, request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        guard let body = request.json?.objectValue else {
            return LerianReporter.error(400, "FET-0001", "Bad Request", "The request body is not valid JSON.")
        }
        if let problem = LerianReporter.invalid(body, creating: false) { return problem }
        if consumeJob(id) { return LerianReporter.jobInProgress }
        let oldName = stored["configName"]?.stringValue
        if let name = body["configName"]?.stringValue, name != oldName, byName[tenant]?[name] != nil {
            return LerianReporter.conflict
        }
        var object = stored
        for (key, value) in body { object[key] = value }
        object["updatedAt"] = .string(Timestamps.now())
        tenants[tenant]?.put(id, object)
        if let name = object["configName"]?.stringValue, name != oldName {
            if let oldName { byName[tenant]?[oldName] = nil }
            byName[tenant, default: [:]][name] = id
        }
        context.save()
        return .json(200, LerianReporter.view(object))
    }
}
