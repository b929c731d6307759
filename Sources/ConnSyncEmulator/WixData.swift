import ConnSyncModel
import Foundation

/// wix-data's external database connections API (contracts.md + wix-data.update.md).
enum WixData {
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
}

extension EmulatorState {
    func handleWix(_ request: EmulatorRequest) -> EmulatorResponse {
        let parts = request.segments
        guard parts.count >= 3, parts[0] == "wix-data", parts[1] == "v1", parts[2] == "external-database-connections", parts.count <= 4
        else {
            return WixData.applicationError(404, "NOT_FOUND", "Not found")
        }
        if parts.count == 3 {
            switch request.method {
            case "GET": return wixList(request)
            case "POST": return wixCreate(request)
            default: return WixData.applicationError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
            }
        }
        let name = parts[3]
        switch request.method {
        case "GET":
            guard let object = wix[name] else { return wixNotFound(name) }
            return .json(200, ["externalDatabaseConnection": WixData.view(object)])
        case "PUT":
            guard wix[name] != nil else { return wixNotFound(name) }
            guard let body = request.json?["externalDatabaseConnection"], body.objectValue != nil else {
                return WixData.validationError("externalDatabaseConnection", "is required")
            }
            if let sent = body["name"]?.stringValue, sent != name {
                return WixData.validationError("externalDatabaseConnection.name", "must equal the name in the path", rule: "INVALID_VALUE")
            }
            // Full replacement: afterwards the connection holds only what was sent.
            let object = WixData.stored(body, name: name)
            wix.put(name, object)
            persist()
            return .json(200, ["externalDatabaseConnection": WixData.view(object)])
        case "DELETE":
            guard wix[name] != nil else { return wixNotFound(name) }
            wix.remove(name)
            persist()
            return .json(200, [:])
        default:
            return WixData.applicationError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        }
    }

    private func wixNotFound(_ name: String) -> EmulatorResponse {
        WixData.applicationError(404, "EXTERNAL_DATABASE_CONNECTION_NOT_FOUND", "External database connection \(name) not found")
    }

    private func wixList(_ request: EmulatorRequest) -> EmulatorResponse {
        guard let limit = Int(request.query["paging.limit"] ?? "50"), (1...100).contains(limit) else {
            return WixData.validationError("paging.limit", "must be between 1 and 100", rule: "MAX")
        }
        guard let offset = Int(request.query["paging.offset"] ?? "0"), offset >= 0 else {
            return WixData.validationError("paging.offset", "must be 0 or more", rule: "MIN")
        }
        let all = wix.orderedKeys()
        let start = min(offset, all.count)
        let end = min(start + limit, all.count)
        let items = wix.rendered(all[start..<end]) { WixData.view($1) }
        return .jsonList(
            200, key: "externalDatabaseConnections", items: items,
            rest: ["pagingMetadata": ["count": .int(end - start), "offset": .int(offset), "total": .int(all.count), "tooManyToCount": false]])
    }

    private func wixCreate(_ request: EmulatorRequest) -> EmulatorResponse {
        guard let json = request.json, let body = json["externalDatabaseConnection"], body.objectValue != nil else {
            return WixData.validationError("externalDatabaseConnection", "is required")
        }
        guard let name = body["name"]?.stringValue, (1...255).contains(name.count) else {
            return WixData.validationError("externalDatabaseConnection.name", "must be 1 to 255 characters")
        }
        if let type = json["connectionType"]?.stringValue, type != "STANDALONE" && type != "WIX_SERVICE_PLUGIN" {
            return WixData.validationError("connectionType", "must be STANDALONE", rule: "INVALID_ENUM_VALUE")
        }
        guard wix[name] == nil else {
            return WixData.applicationError(409, "EXTERNAL_DATABASE_CONNECTION_ALREADY_EXISTS", "External database connection \(name) already exists")
        }
        let object = WixData.stored(body, name: name)
        wix.put(name, object)
        persist()
        return .json(200, ["externalDatabaseConnection": WixData.view(object)])
    }
}
