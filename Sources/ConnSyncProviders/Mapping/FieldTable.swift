import ConnSyncModel
import ConnSyncPlan

/// A vendor's codes for the engines it accepts (`POSTGRESQL`, `SQL_SERVER`, ...): written
/// once, read both ways, and the source of the vendor rules' `engines`.
struct EngineCodes: Sendable {
    let codes: [DatabaseEngine: String]

    init(_ codes: [DatabaseEngine: String]) {
        self.codes = codes
    }

    var engines: Set<DatabaseEngine> { Set(codes.keys) }

    func code(_ engine: DatabaseEngine?) -> Value? {
        engine.flatMap { codes[$0] }.map(Value.string)
    }

    /// The engine's name for a vendor code; an unknown code lower-cased, so that it shows as a diff.
    func engine(forCode code: String) -> Value {
        .string(codes.first { $0.value == code }?.key.rawValue ?? code.lowercased())
    }
}

/// How a vendor names the common fields in its flat objects: the mapping's two directions
/// (desired fields → vendor object, vendor object → normalized view) from one table, and
/// the vendor keys the rules accept in `spec.options` in place of a common field.
struct FieldTable: Sendable {
    /// Common field → the vendor's key.
    let keys: [CommonField: String]
    let engines: EngineCodes
    /// Keys left out of the normalized view (identity, read-only, derived).
    let dropped: Set<String>
    /// Normalized key → vendor key, and back, for the keys that differ.
    private let toVendor: [String: String]
    private let fromVendor: [String: String]

    init(keys: [CommonField: String], engines: EngineCodes, dropped: Set<String>) {
        self.keys = keys
        self.engines = engines
        self.dropped = dropped
        var toVendor: [String: String] = [:]
        for (field, key) in keys where field.rawValue != key { toVendor[field.rawValue] = key }
        self.toVendor = toVendor
        fromVendor = Dictionary(uniqueKeysWithValues: toVendor.map { ($0.value, $0.key) })
    }

    /// The vendor's key for a normalized key.
    func vendorKey(_ normalized: String) -> String {
        toVendor[normalized] ?? normalized
    }

    /// The scalar common fields of `fields` under the vendor's keys (engine as its code,
    /// the password as a secret); fields the table has no key for are left out.
    func scalars(of fields: DatabaseFields) -> [(String, Value?)] {
        var result: [(String, Value?)] = []
        func add(_ field: CommonField, _ value: Value?) {
            if let key = keys[field] { result.append((key, value)) }
        }
        add(.engine, engines.code(fields.engine))
        add(.host, MappingSupport.string(fields.host))
        add(.port, MappingSupport.int(fields.port))
        add(.database, MappingSupport.string(fields.database))
        add(.username, MappingSupport.string(fields.username))
        add(.password, MappingSupport.secret(fields.password))
        add(.schema, MappingSupport.string(fields.schema))
        return result
    }

    /// The normalized view of a flat vendor object: dropped keys left out, vendor keys
    /// renamed to connsync's, the engine code read back. `special` sees each key first and
    /// returns true when it took care of it.
    func normalize(_ raw: Value, special: ((String, Value, inout [String: Value]) -> Bool)? = nil) -> Value {
        guard case .object(let fields) = raw else { return .emptyObject }
        var result: [String: Value] = [:]
        result.reserveCapacity(fields.count)
        let engineKey = keys[.engine]
        for (key, value) in fields where !dropped.contains(key) {
            if let special, special(key, value, &result) { continue }
            if key == engineKey {
                result["engine"] = engines.engine(forCode: value.stringValue ?? "")
            } else {
                result[fromVendor[key] ?? key] = value
            }
        }
        return .object(result)
    }
}
