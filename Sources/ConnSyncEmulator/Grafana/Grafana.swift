import ConnSyncModel
import Foundation

/// Grafana's legacy data source API, served at `…/api/datasources…` below any sub-path
/// (grafana.contract.md; config-format.md, "Grafana data sources and Metabase
/// databases"). One organization (orgId 1; `X-Grafana-Org-Id` is not read). Auth
/// `Authorization: Bearer <service-account token>`. The hazards kept: an unpaged list
/// silently cut at 5,000, list items without `version` and `secureJsonFields`, PUT
/// replacing the row under an opt-in version lock, `secureJsonData` merged per key and
/// never shown, the `postgres` alias, read-only provisioned rows, org-wide `isDefault`.
struct Grafana: VendorEmulation {
    static let name = "grafana"
    static let environment = ["token": "GRAFANA_TOKEN"]
    /// `[datasources] datasource_limit` (default 5000): the list is cut there, silently.
    static let listLimit = 5000
    static let marker = "/api/datasources"

    /// Rows by uid, secrets included (`secureJsonData`), in insertion order for the snapshot.
    private(set) var store = OrderedStore()
    /// uid by name: names are unique in the organization.
    private(set) var uidByName: [String: String] = [:]
    /// The next numeric id (unique per install, never reused).
    private(set) var nextID = 1
    /// The uids the list shows, in its order; nil after any write.
    private var listed: [String]?

    init() {}

    /// The operation is what follows `/api/datasources`: "", `/uid/{uid}`, `/name/{name}`, `/id/{name}`.
    static func route(_ request: inout EmulatorRequest) -> String? {
        PrefixRoute.strip(marker, from: &request)
    }

    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse> {
        let header = request.headers["authorization"] ?? ""
        return AuthHeader.scheme(header, "Bearer ", expected: credentials["token"]) ? .success(header) : .failure(GrafanaDataSource.unauthorized)
    }

    static func faultResponse(status: Int, message: String) -> EmulatorResponse {
        GrafanaDataSource.message(status, message)
    }

    /// Seed items are rows as the snapshot shows them; `name` and `type` are required,
    /// `uid` and `id` are assigned when absent, other columns default as on create.
    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError) {
        for item in items {
            guard let object = item.objectValue, let name = object["name"]?.stringValue, !name.isEmpty,
                let type = object["type"]?.stringValue, !type.isEmpty
            else { throw AdminError("a grafana object needs name and type") }
            let uid = object["uid"]?.stringValue ?? newUID(&context)
            guard GrafanaDataSource.isValidUID(uid) else { throw AdminError("grafana uid \(uid) is not 1 to 40 of A-Za-z0-9_-") }
            if let other = uidByName[name], other != uid { throw AdminError("grafana name \(name) exists") }
            let id = object["id"]?.intValue ?? nextID
            put(GrafanaDataSource.row(object, id: id, uid: uid))
        }
    }

    mutating func snapshot() -> [Value] {
        store.orderedValues()
    }

    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse {
        if operation.isEmpty {
            switch request.method {
            case "GET": return .jsonArray(200, items: store.rendered(listedUIDs()) { GrafanaDataSource.listItem($1) })
            case "POST": return create(request, context: &context)
            default: return GrafanaDataSource.methodNotAllowed
            }
        }
        if operation.hasPrefix("/uid/") {
            let uid = String(operation.dropFirst(5))
            guard !uid.isEmpty, !uid.contains("/") else { return GrafanaDataSource.routeNotFound }
            switch request.method {
            case "GET":
                guard let row = store[uid] else { return GrafanaDataSource.notFound }
                return .json(200, GrafanaDataSource.full(row, accessControl: request.query["accesscontrol"] == "true"))
            case "PUT": return update(uid: uid, request: request, context: &context)
            case "DELETE": return delete(uid: uid, context: &context)
            default: return GrafanaDataSource.methodNotAllowed
            }
        }
        // The name routes, deprecated but still served; a name may hold a `/`.
        if operation.hasPrefix("/name/"), operation.count > 6 {
            let uid = uidByName[String(operation.dropFirst(6))]
            switch request.method {
            case "GET": return uid.flatMap { store[$0] }.map { .json(200, GrafanaDataSource.full($0)) } ?? GrafanaDataSource.notFound
            case "DELETE": return uid.map { delete(uid: $0, context: &context) } ?? GrafanaDataSource.notFound
            default: return GrafanaDataSource.methodNotAllowed
            }
        }
        if operation.hasPrefix("/id/"), operation.count > 4, request.method == "GET" {
            guard let uid = uidByName[String(operation.dropFirst(4))], let id = store[uid]?["id"] else { return GrafanaDataSource.notFound }
            return .json(200, ["id": id])
        }
        // The numeric-id routes are off, as in Grafana 13 (`datasourceLegacyIdApi`).
        return GrafanaDataSource.routeNotFound
    }

    /// 200 `{"message":"Data source deleted","id":N}`; 404 when gone; 403 for a read-only row.
    private mutating func delete(uid: String, context: inout VendorContext) -> EmulatorResponse {
        guard let row = store[uid] else { return GrafanaDataSource.notFound }
        if row["readOnly"]?.boolValue == true { return GrafanaDataSource.message(403, "Cannot delete read-only data source") }
        remove(uid)
        context.save()
        return .json(200, ["message": "Data source deleted", "id": row["id"] ?? .null])
    }

    // MARK: the store

    /// Stores a row (its name and uid must be free of other rows), keeping the indexes.
    mutating func put(_ row: Value) {
        guard let uid = row["uid"]?.stringValue, let name = row["name"]?.stringValue else { return }
        if let old = store[uid]?["name"]?.stringValue, old != name { uidByName[old] = nil }
        store.put(uid, row)
        uidByName[name] = uid
        nextID = max(nextID, (row["id"]?.intValue ?? 0) + 1)
        listed = nil
    }

    mutating func remove(_ uid: String) {
        if let name = store[uid]?["name"]?.stringValue { uidByName[name] = nil }
        store.remove(uid)
        listed = nil
    }

    /// Takes the next numeric id.
    mutating func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    /// A server-chosen uid, like Grafana's 14-character short uids.
    mutating func newUID(_ context: inout VendorContext) -> String {
        // The counter in `hex()` makes each new; the bound only guards against seeded look-alikes.
        var uid = "e" + context.ids.hex() + "a"
        for _ in 0..<8 {
            if store[uid] == nil { break }
            uid = "e" + context.ids.hex() + "a"
        }
        return uid
    }

    /// `isDefault` is exclusive: every other row loses it (without a version bump).
    mutating func clearDefault(except uid: String) {
        for key in store.orderedKeys() where key != uid {
            guard var row = store[key], row["isDefault"]?.boolValue == true else { continue }
            row["isDefault"] = false
            store.put(key, row)
        }
    }

    /// The store's `ORDER BY name LIMIT datasource_limit` (names compared as bytes, as
    /// SQLite does), then the handler's sort by lower-cased name.
    private mutating func listedUIDs() -> [String] {
        if let listed { return listed }
        var rows: [(uid: String, name: String, lower: String)] = []
        rows.reserveCapacity(store.count)
        for uid in store.orderedKeys() {
            guard let name = store[uid]?["name"]?.stringValue else { continue }
            rows.append((uid, name, name.lowercased()))
        }
        rows.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var kept = Array(rows.prefix(Self.listLimit))
        kept.sort { $0.lower != $1.lower ? $0.lower < $1.lower : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let result = kept.map(\.uid)
        listed = result
        return result
    }
}
