import ConnSyncModel
import Foundation

/// Metabase's Database API, served at `…/api/database…` below any sub-path
/// (metabase.contract.md; config-format.md, "Grafana data sources and Metabase
/// databases"), as a paid edition (so `cache_ttl` is accepted, and reset by a PUT
/// that omits it). Auth `X-API-Key: <key>`. The hazards kept: `{data, total}` without
/// paging, sensitive details read back as `**MetabasePass**`, PUT merging `details`
/// shallowly (a sent mask keeps the secret) and resetting an omitted `is_on_demand`,
/// create answering 200, names not unique, the connection tested on save (400 when a
/// host ends in `.invalid`), create trying `ssl: true` first, plain-text errors.
struct Metabase: VendorEmulation {
    static let name = "metabase"
    static let environment = ["token": "METABASE_API_KEY"]
    static let credentialHeaders: Set<String> = ["x-api-key", "x-metabase-session"]
    static let marker = "/api/database"

    /// Rows by id (as text), details with their real secrets, in insertion order.
    private(set) var store = OrderedStore()
    /// The next Database id and secret id (never reused).
    private(set) var nextID = 1
    var nextSecretID = 1
    /// The ids the list shows, in its order; nil after any write.
    private var listed: [String]?

    init() {}

    /// The operation is what follows `/api/database`: "", `/validate` or `/{id}`.
    static func route(_ request: inout EmulatorRequest) -> String? {
        PrefixRoute.strip(marker, from: &request)
    }

    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        let key = request.headers["x-api-key"] ?? ""
        guard !key.trimmingCharacters(in: .whitespaces).isEmpty else { return .failure(MetabaseDatabase.unauthorized) }
        if let expected = credentials["token"], !AuthHeader.constantTimeEqual(key, expected) { return .failure(MetabaseDatabase.unauthorized) }
        return .success(key)
    }

    /// Metabase answers its generic 4xx as plain text and unexpected errors as JSON.
    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        switch status {
        case 401: return MetabaseDatabase.unauthorized
        case 403: return MetabaseDatabase.forbidden
        case 404: return MetabaseDatabase.notFound
        case 500...: return .json(status, ["message": .string(message), "via": [], "trace": []])
        default: return .text(status, message)
        }
    }

    /// Seed items are rows as the snapshot shows them; `name` and `engine` are required,
    /// `id` is assigned when absent, other fields default as on create (no connection test).
    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            guard let object = item.objectValue, let name = object["name"]?.stringValue, let engine = object["engine"]?.stringValue else {
                throw AdminError("a metabase object needs name and engine")
            }
            let id = object["id"]?.intValue ?? nextID
            var row = MetabaseDatabase.newRow(id: id, engine: engine, now: Timestamps.now())
            for (key, value) in object { row[key] = value }
            row["id"] = .int(id)
            row["name"] = .string(name)
            row["details"] = .object(storeSecrets(object["details"]?.objectValue ?? [:], engine: engine))
            put(object["metadata_sync_schedule"] == nil ? MetabaseDatabase.withSchedules(.object(row)) : .object(row))
        }
    }

    mutating func snapshot() -> [Value] {
        store.orderedValues()
    }

    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        switch (request.method, operation) {
        case ("GET", ""): return list(request)
        case ("POST", ""): return create(request, context: &context)
        case ("POST", "/validate"): return validate(request)
        case (_, ""), (_, "/validate"): return MetabaseDatabase.noEndpoint
        default: break
        }
        let text = String(operation.dropFirst())
        guard !text.isEmpty, !text.contains("/") else { return MetabaseDatabase.noEndpoint }
        guard let id = Int(text), id > 0 else {
            return MetabaseDatabase.invalid("id", "value must be an integer greater than zero.", received: .string(text))
        }
        guard let row = store[String(id)] else { return MetabaseDatabase.notFound }
        switch request.method {
        case "GET":
            return .json(200, MetabaseDatabase.detailView(row))
        case "PUT":
            return update(row, request: request, context: &context)
        case "DELETE":
            // The cascade (saved questions, models, metrics) has nothing to remove here.
            remove(String(id))
            context.save()
            return .empty(204)
        default:
            return MetabaseDatabase.noEndpoint
        }
    }

    /// `{"data": [...], "total": N}`: every row, ordered by lower-cased name, then
    /// engine; `limit`/`offset` are not read. `saved=true` adds the virtual
    /// "Saved Questions" database (id -1337) at the end.
    private mutating func list(_ request: EmulatorRequest) -> EmulatorResponse {
        var items = store.rendered(listedIDs()) { MetabaseDatabase.view($1) }
        if request.query["saved"] == "true" {
            let saved: Value = [
                "id": -1337, "name": "Saved Questions", "is_saved_questions": true, "engine": nil,
                "features": ["basic-aggregations", "nested-queries"],
            ]
            items.append((try? saved.jsonData()) ?? Data("null".utf8))
        }
        return .jsonList(200, key: "data", items: items, rest: ["total": .int(items.count)])
    }

    private mutating func listedIDs() -> [String] {
        if let listed { return listed }
        var rows: [(key: String, name: String, engine: String, id: Int)] = []
        rows.reserveCapacity(store.count)
        for key in store.orderedKeys() {
            guard let row = store[key] else { continue }
            rows.append(
                (key, (row["name"]?.stringValue ?? "").lowercased(), (row["engine"]?.stringValue ?? "").lowercased(), row["id"]?.intValue ?? 0))
        }
        rows.sort { ($0.name, $0.engine, $0.id) < ($1.name, $1.engine, $1.id) }
        let result = rows.map(\.key)
        listed = result
        return result
    }

    // MARK: the store

    mutating func put(_ row: Value) {
        guard let id = row["id"]?.intValue else { return }
        store.put(String(id), row)
        nextID = max(nextID, id + 1)
        listed = nil
    }

    mutating func remove(_ key: String) {
        store.remove(key)
        listed = nil
    }

    mutating func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }
}
