import ConnSyncModel
import Foundation

/// datafor's connection API under `/plugin/datafor-modeler/api/connection/`, below any
/// web-app prefix (contracts.md + datafor.update.md); auth HTTP Basic. Errors of
/// add/update/delete arrive as HTTP 200 with `success: false`.
struct Datafor: VendorEmulation {
    static let name = "datafor"
    static let environment = ["username": "DATAFOR_USER", "password": "DATAFOR_PASSWORD"]
    static let prefix = "/plugin/datafor-modeler/api/connection/"

    /// The fields the full object has, with the server's defaults.
    static let defaults: Value = [
        "SQLServerInstance": nil, "accessType": "NATIVE", "accessTypeValue": "NATIVE",
        "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"], "changed": false, "connectSql": "",
        "connectionPoolingProperties": ["initialSize": "0", "maxActive": "20", "maxIdle": "5", "minIdle": "0"],
        "dataTablespace": "", "databaseName": "", "databasePort": "5432",
        "databaseType": [
            "defaultDatabaseName": nil, "defaultDatabasePort": 5432, "defaultOptions": nil,
            "extraOptionsHelpUrl": "https://jdbc.postgresql.org/documentation/use/", "name": "PostgreSQL", "shortName": "POSTGRESQL",
        ],
        "extraOptions": [:], "extraOptionsOrder": [:], "forcingIdentifiersToLowerCase": false, "forcingIdentifiersToUpperCase": false,
        "hostname": "", "indexTablespace": "", "informixServername": "", "initialPoolSize": 0, "maximumPoolSize": 0,
        "partitioned": false, "password": nil, "quoteAllFields": false, "streamingResults": false, "username": "",
        "usingConnectionPool": true, "usingDoubleDecimalAsSchemaTableSeparator": false, "driverId": "postgresql",
        "PORT_NUMBER": "5432", "CUSTOM_URL": nil,
    ]

    /// Fills the fields a client left out with the server's defaults (top level only,
    /// so a given `connectionPoolingProperties` object is kept as sent).
    static func withDefaults(_ object: Value) -> Value {
        guard case .object(var fields) = object, case .object(let base) = defaults else { return object }
        for (key, value) in base where fields[key] == nil { fields[key] = value }
        return .object(fields)
    }

    /// As the API returns it: `password` always null.
    static func view(_ object: Value) -> Value {
        var view = object
        view["password"] = .null
        return view
    }

    static func failure(_ message: String) -> EmulatorResponse {
        .json(200, ["success": false, "code": "500", "msg": .string(message)])
    }

    static let ok = EmulatorResponse.json(200, ["success": true, "code": "200", "msg": "success"])

    static let unauthorized = EmulatorResponse.json(401, ["success": false, "code": "401", "msg": "UNAUTHORIZED: bad credentials"])

    /// By name; id → name.
    private var store = OrderedStore()
    private var nameByID: [String: String] = [:]

    init() {}

    /// The operation is what follows the prefix (`list`, `get`, ...); the web-app prefix is stripped.
    static func route(_ request: inout EmulatorRequest) -> String? {
        // Foundation's search: the generic `firstRange(of:)` showed in profiles.
        guard let range = request.path.range(of: prefix) else { return nil }
        let operation = String(request.path[range.upperBound...])
        request.path = prefix + operation
        return operation
    }

    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        guard let (user, password) = AuthHeader.basic(request.headers["authorization"] ?? "") else { return .failure(unauthorized) }
        if let expected = credentials["username"], !AuthHeader.constantTimeEqual(user, expected) { return .failure(unauthorized) }
        if let expected = credentials["password"], !AuthHeader.constantTimeEqual(password, expected) { return .failure(unauthorized) }
        return user.isEmpty ? .failure(unauthorized) : .success(user)
    }

    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        status == 200
            ? failure("CONNECTION_WRITE_FORBIDDEN: \(message)")
            : .json(status, ["success": false, "code": .string(String(status)), "msg": .string(message)])
    }

    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            guard let name = item["name"]?.stringValue else { throw AdminError("a datafor object needs name") }
            var object = Self.withDefaults(item)
            let id = object["id"]?.stringValue ?? context.ids.uuid()
            object["id"] = .string(id)
            store.put(name, object)
            nameByID[id] = name
        }
    }

    mutating func snapshot() -> [Value] {
        store.orderedValues()
    }
}

extension Datafor {
    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        switch (request.method, operation) {
        case ("GET", "list"):
            let items = store.rendered(store.orderedKeys()) { Datafor.view($1) }
            return .jsonList(200, key: "databaseConnections", items: items, rest: ["success": true])
        case ("GET", "get"):
            guard let name = request.query["name"], let object = store[name] else {
                return .json(404, ["success": false, "code": "404", "msg": "CONNECTION_NOT_FOUND: no connection with that name"])
            }
            return .json(200, Datafor.view(object))
        case ("POST", "add"):
            guard let body = request.json, body.objectValue != nil else {
                return Datafor.failure("CONNECTION_CREATE_FORBIDDEN: the request body is not a connection object")
            }
            guard let name = body["name"]?.stringValue, !name.isEmpty else {
                return Datafor.failure("CONNECTION_CREATE_FORBIDDEN: a connection needs a name")
            }
            guard store[name] == nil else {
                return Datafor.failure("CONNECTION_CREATE_FORBIDDEN: a connection named '\(name)' already exists")
            }
            var object = Datafor.withDefaults(body)
            let id = context.ids.uuid()
            object["id"] = .string(id)
            store.put(name, object)
            nameByID[id] = name
            context.save()
            return .json(200, ["success": true, "code": "200"])
        case ("POST", "update"):
            guard let body = request.json, body.objectValue != nil else {
                return Datafor.failure("CONNECTION_WRITE_FORBIDDEN: the request body is not a connection object")
            }
            let byID = body["id"]?.stringValue.flatMap { nameByID[$0] }
            guard let name = byID ?? body["name"]?.stringValue, let stored = store[name] else {
                return Datafor.failure("CONNECTION_WRITE_FORBIDDEN: the connection does not exist or you may not edit it")
            }
            let newName = body["name"]?.stringValue ?? name
            if newName != name, store[newName] != nil {
                return Datafor.failure("CONNECTION_WRITE_FORBIDDEN: a connection named '\(newName)' already exists")
            }
            // The body replaces the stored object; a null or empty password keeps the stored one.
            var object = body
            object["id"] = stored["id"]
            object["name"] = .string(newName)
            let password = body["password"]?.stringValue ?? ""
            object["password"] = password.isEmpty ? (stored["password"] ?? .null) : .string(password)
            if newName != name { store.remove(name) }
            store.put(newName, object)
            if let id = stored["id"]?.stringValue { nameByID[id] = newName }
            context.save()
            return Datafor.ok
        case ("DELETE", "deletebyname"):
            guard let name = request.query["name"], let stored = store[name] else {
                return Datafor.failure("CONNECTION_DELETE_FORBIDDEN: the connection does not exist or you may not delete it")
            }
            store.remove(name)
            if let id = stored["id"]?.stringValue { nameByID[id] = nil }
            context.save()
            return .json(200, ["success": true, "code": "200"])
        case ("PUT", "test"):
            let body = request.json ?? .null
            let host = body["hostname"]?.stringValue ?? ""
            return .json(200, ["name": body["name"] ?? .null, "success": .bool(!host.isEmpty && !host.contains("unreachable"))])
        default:
            return .json(404, ["success": false, "code": "404", "msg": "NOT_FOUND"])
        }
    }
}
