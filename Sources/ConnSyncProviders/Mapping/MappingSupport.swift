import ConnSyncModel
import ConnSyncPlan
import Foundation

/// Shared pieces of the vendor mappings.
enum MappingSupport {
    /// Percent-encodes one path segment (RFC 3986 unreserved characters kept).
    static func pathSegment(_ text: String) -> String {
        URLBuilder.encode(text)
    }

    /// Builds an object from optional fields, leaving out the nil ones.
    static func object(_ pairs: [(String, Value?)]) -> Value {
        var fields: [String: Value] = [:]
        for (key, value) in pairs {
            if let value { fields[key] = value }
        }
        return .object(fields)
    }

    static func string(_ text: String?) -> Value? { text.map(Value.string) }
    static func int(_ number: Int?) -> Value? { number.map(Value.int) }
    static func secret(_ secret: Secret?) -> Value? { secret.map(Value.secret) }

    /// `labels` as a string→string object; nil when empty.
    static func labels(_ labels: [String: String]) -> Value? {
        labels.isEmpty ? nil : .object(labels.mapValues(Value.string))
    }

    /// The value of a normalized path's first key in the desired vendor object, for partial updates.
    static func topLevelKeys(of paths: [FieldPath]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for path in paths {
            guard case .key(let key)? = path.components.first, seen.insert(key).inserted else { continue }
            result.append(key)
        }
        return result
    }

    /// The remote's id or a mapping error saying it is missing.
    static func requireID(_ remote: RemoteObject, vendor: VendorType) throws(MappingError) -> String {
        guard let id = remote.id, !id.isEmpty else {
            throw MappingError("the \(vendor) connection \"\(remote.name)\" has no id in the vendor's list answer; it cannot be updated")
        }
        return id
    }

    /// Requires a declared password for vendors that need one to create.
    static func requirePassword(_ object: Value, key: String = "password", vendor: VendorType) throws(MappingError) {
        if object[key] == nil || object[key]?.isNull == true {
            throw MappingError(
                "\(vendor) needs a password to create a connection: declare spec.password "
                    + "(e.g. {fromEnv: NAME}) on the Connection or on its Database")
        }
    }
}

extension Value {
    /// A copy of this object without `keys`.
    func removingKeys(_ keys: Set<String>) -> Value {
        guard case .object(var fields) = self else { return self }
        for key in keys { fields.removeValue(forKey: key) }
        return .object(fields)
    }
}

extension MappingSupport {
    static let passwordPath: FieldPath = "password"

    /// The answer to a change, with the id a create got read at `path` of the answer (only
    /// a create's answer holds an id connsync does not know yet).
    static func createdID(_ change: Change, _ response: HTTPResponse, at path: FieldPath) -> ApplyResponse {
        let value = change.action == .create ? (try? Value(json: response.body))?[path: path] : nil
        let id = value.flatMap { $0.stringValue ?? $0.intValue.map(String.init) }
        return ApplyResponse(status: response.status, remoteID: id ?? change.remoteID)
    }
}
