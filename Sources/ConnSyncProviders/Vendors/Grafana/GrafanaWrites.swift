import ConnSyncModel
import ConnSyncPlan
import Foundation

/// Grafana's writes, which take more than the planned request:
/// - an update reads the object by uid first, refuses when the fields connsync manages moved
///   since the plan, and PUTs the object whole (what Grafana holds, with the planned fields
///   merged in, the version that read returned, and only the secrets being sent, plus any
///   declared write-only key Grafana does not hold); on a 409 version conflict it reads again
///   once and retries only if the managed fields are still as planned;
/// - a create answered 409 (a retried POST, a name taken) counts as created only when the
///   object Grafana holds is the desired one.
struct GrafanaWrites {
    let http: VendorHTTP
    let change: Change
    let mapping = GrafanaMapping()

    func create() async throws(ProviderError) -> ApplyResponse {
        do {
            let response = try await http.sendChange(change)
            return MappingSupport.createdID(change, response, at: "datasource.uid")
        } catch where error.status == 409 {
            // The uid the POST asked for, else the name.
            let path: String
            if let uid = change.request?.body?["uid"]?.stringValue {
                path = Grafana.uidPath(uid)
            } else {
                path = Grafana.namePath(change.address.name)
            }
            guard let desired = change.after, let held = try? await read(path), managedDifference(held, expected: desired, desired: desired) == nil,
                let uid = held["uid"]?.stringValue
            else { throw error }
            return ApplyResponse(status: 200, remoteID: uid)
        }
    }

    func update() async throws(ProviderError) -> ApplyResponse {
        guard let uid = change.remoteID else {
            throw ProviderError(kind: .configuration, operation: "update", provider: http.config.name, message: "the data source has no uid")
        }
        var held = try await read(Grafana.uidPath(uid))
        try checkUnchanged(held)
        for attempt in 0..<2 {
            do throws(ProviderError) {
                let response = try await http.send(
                    "PUT", Grafana.uidPath(uid), headers: change.request?.headers ?? [:], body: body(over: held), operation: "update")
                guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "update") }
                return ApplyResponse(status: response.status, remoteID: uid)
            } catch where error.status == 409 && attempt == 0 {
                held = try await read(Grafana.uidPath(uid))
                try checkUnchanged(held)
            }
        }
        throw ProviderError(kind: .conflict, operation: "update", provider: http.config.name, message: "the version conflict did not clear")
    }

    /// The object Grafana holds at `path`.
    func read(_ path: String) async throws(ProviderError) -> Value {
        let response = try await http.send("GET", path, operation: "update")
        guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "update") }
        let object = try http.json(response, operation: "update")
        guard object.objectValue != nil else {
            throw ProviderError(kind: .invalidResponse, operation: "update", provider: http.config.name, message: "the data source is not an object")
        }
        return object
    }

    /// Refuses when Grafana's object is read-only, or when a field connsync manages moved
    /// since the plan (the plan no longer says what the PUT would do).
    func checkUnchanged(_ held: Value) throws(ProviderError) {
        if held["readOnly"]?.boolValue == true {
            throw ProviderError(
                kind: .forbidden, operation: "update", provider: http.config.name, status: 403,
                message: "the data source is provisioned read-only at Grafana; connsync never writes it")
        }
        // Without the plan's views there is nothing to check against: refused, never passed.
        guard let before = change.before, let desired = change.after else {
            throw ProviderError(
                kind: .configuration, operation: "update", provider: http.config.name,
                message: "the plan holds no view of this data source to check it against; nothing was sent: plan again")
        }
        if let path = managedDifference(held, expected: before, desired: desired) {
            throw ProviderError(
                kind: .conflict, operation: "update", provider: http.config.name,
                message: "\(path) changed since the plan; nothing was sent: plan again")
        }
    }

    /// The first path connsync manages (a path of `desired` that is not write-only) where
    /// `held` differs from `expected` (the plan's view of the remote, or the desired view);
    /// nil when they agree.
    func managedDifference(_ held: Value, expected: Value, desired: Value) -> FieldPath? {
        let current = mapping.normalize(held)
        for path in Self.leafPaths(desired) where !mapping.isWriteOnly(path) {
            let wanted = expected[path: path] ?? .null
            let now = current[path: path] ?? .null
            if !(wanted.isNull && now.isNull), !Differ.looselyEqual(wanted, now) { return path }
        }
        return nil
    }

    static func leafPaths(_ value: Value, prefix: FieldPath = .root) -> [FieldPath] {
        guard case .object(let fields) = value, !fields.isEmpty else { return prefix == .root ? [] : [prefix] }
        return fields.keys.sorted().flatMap { leafPaths(fields[$0]!, prefix: prefix.appending($0)) }
    }

    /// What Grafana holds (server-owned fields dropped), with the planned object merged in, the
    /// version it holds, and the secrets: the planned ones, plus every declared write-only key
    /// Grafana does not hold (`secureJsonFields` lacks it).
    func body(over held: Value) -> Value {
        var base = held.removingKeys(GrafanaMapping.serverOwned.subtracting(["version"]))
        base["secureJsonData"] = nil
        var body = base.merging(change.request?.body ?? .emptyObject)
        body["version"] = held["version"] ?? .null
        var secure = body["secureJsonData"]?.objectValue ?? [:]
        let holds = held["secureJsonFields"]?.objectValue ?? [:]
        for path in (change.after?.secretPaths ?? []) where mapping.isWriteOnly(path) {
            let key = path == MappingSupport.passwordPath ? "password" : path.components.dropFirst().first.flatMap {
                if case .key(let key) = $0 { return key }
                return nil
            }
            guard let key, secure[key] == nil, holds[key]?.boolValue != true, let value = change.after?[path: path] else { continue }
            secure[key] = value
        }
        body["secureJsonData"] = secure.isEmpty ? nil : .object(secure)
        return body
    }
}
