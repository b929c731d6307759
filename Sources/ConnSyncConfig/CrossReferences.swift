import ConnSyncModel
import Foundation

// MARK: - cross-references

/// Uniqueness, providers and databases referenced, inheritance, and the per-vendor mapping table.
struct CrossReferences: Sendable {
    let sink: DiagnosticSink
    let source: SourceInfo
    let vendors: VendorCatalog
    /// References to names not found that were not reported, because a file did not parse.
    let unreported = Counter()

    final class Counter: @unchecked Sendable {
        private(set) var value = 0
        func add(_ count: Int) { value += count }
    }

    func error(_ code: String, _ id: DocumentID, _ field: String?, _ message: String, at location: SourceLocation) {
        sink.add(Diagnostic(code: code, message: message, location: location, document: id, field: field))
    }

    /// Documents of one kind by name; a second document with a name is an error at it.
    func unique<Parsed>(
        _ documents: [Parsed], kind: DocumentKind, name: (Parsed) -> String, location: (Parsed) -> SourceLocation
    ) -> [String: Parsed] {
        var byName: [String: Parsed] = [:]
        for document in documents {
            let documentName = name(document)
            if let first = byName[documentName] {
                error(
                    "duplicate-name", DocumentID(kind: kind, name: documentName), "metadata.name",
                    "a \(kind.rawValue) named '\(documentName)' is already defined at \(location(first)); names are unique per kind",
                    at: location(document))
            } else {
                byName[documentName] = document
            }
        }
        return byName
    }

    /// "no Provider named 'x'; known: a, b" (or "; define one").
    static func noSuch(_ kind: DocumentKind, _ name: String, known: some Sequence<String>) -> String {
        let names = known.sorted()
        return "no \(kind.rawValue) named '\(name)'" + (names.isEmpty ? "; define one" : "; known: \(names.joined(separator: ", "))")
    }

    /// - Parameter namesComplete: false when a file could not be parsed: a name it may define is
    ///   then not reported as missing (the syntax error comes first, with no cascade).
    func resolve(
        providers: [ParsedProvider], databases: [ParsedDatabase], connections: [ParsedConnection], invalid: [DocumentKind: Set<String>] = [:],
        namesComplete: Bool = true
    ) -> DesiredState {
        let providerByName = unique(providers, kind: .provider, name: \.config.name, location: \.nameLocation)
        let databaseByName = unique(databases, kind: .database, name: \.definition.name, location: \.nameLocation)
        // In address order, the order the state keeps: small entries are sorted (not the
        // connections), a name defined twice sits next to its first definition (the earlier in
        // file order), and the connections of a provider come together. Each check's
        // diagnostics are sorted by place later.
        var order = connections.indices.map { (address: Address(provider: connections[$0].provider, name: connections[$0].name), index: $0) }
        order.sort { $0.address != $1.address ? $0.address < $1.address : $0.index < $1.index }
        var pending: [Pending] = []
        pending.reserveCapacity(connections.count)
        var first: (address: Address, location: SourceLocation)?
        var lastProvider: ParsedProvider?
        var lastDatabase: ParsedDatabase?
        for (address, index) in order {
            let connection = connections[index]
            if let first, first.address == address {
                error(
                    "duplicate-name", connection.id, "metadata.name",
                    "a Connection named '\(connection.name)' of Provider \(connection.provider) is already defined at \(first.location); names are unique per provider",
                    at: connection.nameLocation)
                continue
            }
            first = (address, connection.nameLocation)
            let provider: ParsedProvider
            if let last = lastProvider, last.config.name == connection.provider {
                provider = last
            } else if let found = providerByName[connection.provider] {
                provider = found
                lastProvider = found
            } else {
                // A Provider that exists but has errors was reported at its own document.
                if invalid[.provider]?.contains(connection.provider) == true { continue }
                if !namesComplete {
                    unreported.add(1)
                    continue
                }
                error(
                    "unknown-provider", connection.id, "spec.provider", Self.noSuch(.provider, connection.provider, known: providerByName.keys),
                    at: connection.providerLocation)
                continue
            }
            var database: ParsedDatabase?
            var inheritanceKnown = true
            if let ref = connection.databaseRef {
                if let last = lastDatabase, last.definition.name == ref {
                    database = last
                } else {
                    database = databaseByName[ref]
                    lastDatabase = database ?? lastDatabase
                }
                if database == nil {
                    inheritanceKnown = false
                    if !namesComplete { unreported.add(1) }
                    if invalid[.database]?.contains(ref) != true, namesComplete {
                        error(
                            "unknown-database", connection.id, "spec.databaseRef", Self.noSuch(.database, ref, known: databaseByName.keys),
                            at: connection.databaseRefLocation ?? connection.specLocation)
                    }
                }
            }
            // Every error in one run: a Connection with errors of its own, or whose Database is
            // broken or missing, is still checked against its vendor for what it sets itself; only
            // what depends on the unknown part (fields it must have) waits.
            pending.append(Pending(connection: connection, provider: provider, database: database, isPartial: connection.hasErrors || !inheritanceKnown))
        }
        // The checks are pure but for their diagnostics: slices run on every core, each with its
        // own sink, merged in order (the order one pass in sequence gives).
        let checked = Parallel.map(Parallel.slices(pending.count, minimumCount: 1_024), minimumCount: 2) { [pending, source, vendors] range in
            let own = CrossReferences(sink: DiagnosticSink(), source: source, vendors: vendors)
            var built: [DesiredConnection] = []
            built.reserveCapacity(range.count)
            // The connections of a provider come together: its vendor's rules are looked up once.
            var vendor: VendorView?
            for item in pending[range] {
                let type = item.provider.config.type
                if vendor?.rules.type != type { vendor = vendors.rules(for: type).map(VendorView.init) }
                // A Provider of a type without rules was reported at its own document.
                guard let vendor else { continue }
                if let result = own.check(item.connection, vendor: vendor, database: item.database, isPartial: item.isPartial), !item.isPartial {
                    built.append(result)
                }
            }
            return (built, own.sink.all)
        }
        var desired: [DesiredConnection] = []
        desired.reserveCapacity(pending.count)
        for (built, diagnostics) in checked {
            desired += built
            sink.add(diagnostics)
        }
        return DesiredState(
            source: source, providers: providerByName.values.map(\.config), databases: databaseByName.values.map(\.definition),
            connections: desired)
    }

    /// A connection whose references resolved, waiting for its vendor's checks (the
    /// documents are shared, not copied).
    struct Pending: Sendable {
        var connection: ParsedConnection
        var provider: ParsedProvider
        var database: ParsedDatabase?
        var isPartial: Bool
    }

    /// A vendor's rules, with the fields it holds as bits (checked for every field of every
    /// connection).
    struct VendorView {
        let rules: VendorRules
        let holds: CommonFieldSet

        init(_ rules: VendorRules) {
            self.rules = rules
            holds = CommonFieldSet(rules.fields)
        }
    }

    func check(_ connection: ParsedConnection, vendor view: VendorView, database: ParsedDatabase?, isPartial: Bool = false) -> DesiredConnection? {
        let rules = view.rules
        let vendor = rules.type
        var failed = false
        func fail(_ code: String, _ field: String?, _ message: String, at location: SourceLocation) {
            failed = true
            error(code, connection.id, field, message, at: location)
        }
        let ownFields = connection.fields.setFieldSet
        // Fields set on the Connection itself must be holdable by the vendor (in field order).
        for field in ownFields.subtracting(view.holds) {
            fail(
                "unsupported-field", "spec.\(field)",
                "\(vendor) cannot hold \(field); remove it from this Connection" + (rules.unsupportedFieldHint.map { " (\($0))" } ?? ""),
                at: connection.fieldLocations[field] ?? connection.specLocation)
        }
        // Inherit, then skip inherited fields the vendor cannot hold.
        var fields = connection.fields
        var skipped: [CommonField] = []
        if let database {
            let inherited = database.definition.fields
            for field in inherited.setFieldSet.subtracting(ownFields).subtracting(view.holds) {
                skipped.append(field)
            }
            var base = inherited
            for field in skipped { base = base.removing(field) }
            fields = base.overridden(by: connection.fields)
        }
        if let engine = fields.engine, !rules.engines.contains(engine) {
            let inherited = connection.fields.engine == nil
            fail(
                "unsupported-engine", "spec.engine",
                "\(vendor) does not support engine \(engine)"
                    + (inherited ? " (inherited from Database \(database?.definition.name ?? "?"))" : "")
                    + "; supported: \(rules.engines.map(\.rawValue).sorted().joined(separator: ", "))",
                at: inherited ? (connection.databaseRefLocation ?? connection.specLocation) : (connection.fieldLocations[.engine] ?? connection.specLocation))
        }
        // Required fields, unless spec.options gives the vendor's own key.
        let missing = rules.requiredFields.filter { field in
            !fields.isSet(field) && !(rules.optionKeys[field].map { connection.optionKeys.contains($0) } ?? false)
        }
        if !missing.isEmpty, !isPartial {
            fail(
                "missing-field", "spec",
                "\(vendor) needs \(missing.map(\.rawValue).joined(separator: ", ")): set \(missing.count == 1 ? "it" : "them") on the Connection or on the Database it references",
                at: connection.specLocation)
        }
        // The vendor's own checks; one that needs the whole connection waits for a partial one.
        let facts = ConnectionCheck.Facts(
            name: connection.name, fields: fields, ownFields: ownFields, options: connection.options)
        for check in rules.checks where !(check.needsWholeConnection && isPartial) {
            guard let problem = check.check(facts) else { continue }
            let location: SourceLocation
            switch problem.place {
            case .name: location = connection.nameLocation
            case .spec: location = connection.specLocation
            case .field(let field): location = connection.fieldLocations[field] ?? connection.specLocation
            }
            fail(problem.code, problem.field, problem.message, at: location)
        }
        guard !failed else { return nil }
        return DesiredConnection(
            address: Address(provider: connection.provider, name: connection.name), vendor: vendor, labels: connection.labels,
            databaseRef: connection.databaseRef, fields: fields, skippedFields: skipped, options: connection.options,
            location: connection.location)
    }
}
