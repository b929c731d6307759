import ConnSyncModel
import Foundation

/// wix-data's external database connections API (contracts.md + wix-data.update.md):
/// `/wix-data/v1/external-database-connections[/{name}]`, auth `Authorization: <token>`;
/// its published limit (200/m per site) applies when a rate limit is configured.
struct WixData: VendorEmulation {
    static let name = "wix-data"
    static let environment = ["token": "WIX_TOKEN"]
    static let readOnly: Set<String> = ["connectionStatus", "publicKey", "capabilities"]

    static func applicationError(_ status: Int, _ code: String, _ message: String) -> EmulatorResponse {
        .json(status, ["message": .string(message), "details": ["applicationError": ["code": .string(code), "description": .string(message), "data": [:]]]])
    }

    static func validationError(_ field: String, _ description: String, rule: String = "REQUIRED_FIELD") -> EmulatorResponse {
        .json(
            400,
            [
                "message": .string("\(field): \(description)"),
                "details": [
                    "validationError": [
                        "fieldViolations": [["field": .string(field), "description": .string(description), "violatedRule": .string(rule)]]
                    ]
                ],
            ])
    }

    static let unauthorized = applicationError(401, "UNAUTHORIZED", "Authorization header is missing or invalid")
    static let tooManyRequests = applicationError(429, "RATE_LIMIT_EXCEEDED", "Too many requests: the limit is 200 requests per minute per site")

    /// What is stored: only name, endpoint and configuration (read-only fields are the server's).
    static func stored(_ object: Value, name: String) -> Value {
        var result: [String: Value] = ["name": .string(name)]
        for (key, value) in object.objectValue ?? [:] where key != "name" && !readOnly.contains(key) {
            result[key] = value
        }
        return .object(result)
    }

    /// As the API returns it: with the server's read-only fields.
    static func view(_ object: Value) -> Value {
        var view = object
        let endpoint = object["endpoint"]?.stringValue ?? ""
        let reachable = endpoint.hasPrefix("https://") && !endpoint.contains("unreachable")
        view["connectionStatus"] = [
            "successful": .bool(reachable), "causeOfFailure": .string(reachable ? "NONE" : "COULD_NOT_CONNECT"),
            "hasCollections": .string(reachable ? "YES" : "UNKNOWN"),
        ]
        view["publicKey"] = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEemulatorkey\n-----END PUBLIC KEY-----"
        view["capabilities"] = ["collectionModificationsSupported": false, "fieldTypes": ["TEXT", "NUMBER", "BOOLEAN", "DATETIME"]]
        return view
    }

    /// By name.
    private var store = OrderedStore()

    init() {}

    static func route(_ request: inout EmulatorRequest) -> String? {
        request.path.hasPrefix("/wix-data/") ? "" : nil
    }

    /// The principal is the token: the rate limit is per site, and a site has one key.
    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        let token = (request.headers["authorization"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { return .failure(unauthorized) }
        if let expected = credentials["token"], !AuthHeader.constantTimeEqual(token, expected) { return .failure(unauthorized) }
        return .success(token)
    }

    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        applicationError(status, status == 429 ? "RATE_LIMIT_EXCEEDED" : "INJECTED_FAULT", message)
    }

    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            guard let name = item["name"]?.stringValue else { throw AdminError("a wix-data object needs name") }
            store.put(name, Self.stored(item, name: name))
        }
    }

    mutating func snapshot() -> [Value] {
        store.orderedValues()
    }
}

extension EmulatorConfiguration {
    /// The configuration with wix-data's rate limit, as ``rateLimits`` holds it.
    public init(
        host: String = "127.0.0.1", port: Int = 0, latency: Duration = .zero, credentials: EmulatorCredentials = EmulatorCredentials(),
        dataFile: String? = nil, wixRateLimit: RateLimit?
    ) {
        self.init(host: host, port: port, latency: latency, credentials: credentials, dataFile: dataFile)
        self.wixRateLimit = wixRateLimit
    }

    /// wix-data's published limit (200/m per site), enforced only when set.
    public var wixRateLimit: RateLimit? {
        get { rateLimits[WixData.name] }
        set { rateLimits[WixData.name] = newValue }
    }
}

extension WixData {
    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        let parts = request.segments
        guard parts.count >= 3, parts[0] == "wix-data", parts[1] == "v1", parts[2] == "external-database-connections", parts.count <= 4
        else {
            return WixData.applicationError(404, "NOT_FOUND", "Not found")
        }
        if parts.count == 3 {
            switch request.method {
            case "GET": return list(request)
            case "POST": return create(request, context: &context)
            default: return WixData.applicationError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
            }
        }
        let name = parts[3]
        switch request.method {
        case "GET":
            guard let object = store[name] else { return notFound(name) }
            return .json(200, ["externalDatabaseConnection": WixData.view(object)])
        case "PUT":
            guard store[name] != nil else { return notFound(name) }
            guard let body = request.json?["externalDatabaseConnection"], body.objectValue != nil else {
                return WixData.validationError("externalDatabaseConnection", "is required")
            }
            if let sent = body["name"]?.stringValue, sent != name {
                return WixData.validationError("externalDatabaseConnection.name", "must equal the name in the path", rule: "INVALID_VALUE")
            }
            // Full replacement: afterwards the connection holds only what was sent.
            let object = WixData.stored(body, name: name)
            store.put(name, object)
            context.save()
            return .json(200, ["externalDatabaseConnection": WixData.view(object)])
        case "DELETE":
            guard store[name] != nil else { return notFound(name) }
            store.remove(name)
            context.save()
            return .json(200, [:])
        default:
            return WixData.applicationError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        }
    }

    private func notFound(_ name: String) -> EmulatorResponse {
        WixData.applicationError(404, "EXTERNAL_DATABASE_CONNECTION_NOT_FOUND", "External database connection \(name) not found")
    }

    private mutating func list(_ request: EmulatorRequest) -> EmulatorResponse {
        guard let limit = Int(request.query["paging.limit"] ?? "50"), (1...100).contains(limit) else {
            return WixData.validationError("paging.limit", "must be between 1 and 100", rule: "MAX")
        }
        guard let offset = Int(request.query["paging.offset"] ?? "0"), offset >= 0 else {
            return WixData.validationError("paging.offset", "must be 0 or more", rule: "MIN")
        }
        let all = store.orderedKeys()
        let start = min(offset, all.count)
        let end = min(start + limit, all.count)
        let items = store.rendered(all[start..<end]) { WixData.view($1) }
        return .jsonList(
            200, key: "externalDatabaseConnections", items: items,
            rest: ["pagingMetadata": ["count": .int(end - start), "offset": .int(offset), "total": .int(all.count), "tooManyToCount": false]])
    }

    private mutating func create(_ request: EmulatorRequest, context: inout VendorContext) -> EmulatorResponse {
        guard let json = request.json, let body = json["externalDatabaseConnection"], body.objectValue != nil else {
            return WixData.validationError("externalDatabaseConnection", "is required")
        }
        guard let name = body["name"]?.stringValue, (1...255).contains(name.count) else {
            return WixData.validationError("externalDatabaseConnection.name", "must be 1 to 255 characters")
        }
        if let type = json["connectionType"]?.stringValue, type != "STANDALONE" && type != "WIX_SERVICE_PLUGIN" {
            return WixData.validationError("connectionType", "must be STANDALONE", rule: "INVALID_ENUM_VALUE")
        }
        guard store[name] == nil else {
            return WixData.applicationError(409, "EXTERNAL_DATABASE_CONNECTION_ALREADY_EXISTS", "External database connection \(name) already exists")
        }
        let object = WixData.stored(body, name: name)
        store.put(name, object)
        context.save()
        return .json(200, ["externalDatabaseConnection": WixData.view(object)])
    }
}
