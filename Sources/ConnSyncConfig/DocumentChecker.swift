import ConnSyncModel
import Foundation

// MARK: - one document

/// Checks one document: envelope, kind-specific spec, secret references.
struct DocumentChecker {
    let options: LoadOptions
    let resolver: any SecretResolver
    let source: any DesiredStateSource
    let sink: DiagnosticSink
    let vendors: VendorCatalog
    /// The display path of the unit's file, for the locations of what is checked: the
    /// checker's own copy (``SourceFile/ownDisplayPath``).
    let path: String

    /// The reporting context of one document.
    final class Context {
        let file: SourceFile
        /// The file's display path: the checker's own copy (see ``DocumentChecker/path``).
        let path: String
        var id: DocumentID
        let sink: DiagnosticSink
        var failed = false
        /// The document, for the trust check of its secret commands.
        let root: YNode?

        init(file: SourceFile, path: String, id: DocumentID, sink: DiagnosticSink, root: YNode? = nil) {
            self.file = file
            self.path = path
            self.id = id
            self.sink = sink
            self.root = root
        }

        /// The document as the trust check compares it (computed once).
        lazy var canonical: String = root.map(TrustedDocuments.canonical) ?? ""

        /// Reports a problem. A structural one keeps the document out of cross-reference checks;
        /// an unresolved secret does not (the document is still well-formed).
        /// Something apply would refuse later, said now (the document stays valid).
        func warning(_ code: String, _ field: String?, _ message: String, at location: SourceLocation) {
            sink.add(Diagnostic(.warning, code: code, message: message, location: location, document: id, field: field))
        }

        func error(_ code: String, _ field: String?, _ message: String, at location: SourceLocation, structural: Bool = true) {
            if structural { failed = true }
            sink.add(Diagnostic(code: code, message: message, location: location, document: id, field: field))
        }

        /// Where `position` is, in this document's file.
        func location(_ position: YPosition) -> SourceLocation {
            position.location(in: path)
        }

        func error(_ code: String, _ field: String?, _ message: String, at position: YPosition, structural: Bool = true) {
            error(code, field, message, at: location(position), structural: structural)
        }
    }

    func check(_ document: YDocument) -> ParsedDocument? {
        guard case .mapping(let entries, let position) = document.root else {
            sink.add(
                Diagnostic(
                    code: "not-a-mapping",
                    message: "a document must be a mapping with apiVersion, kind, metadata and spec (got \(document.root.kindDescription))",
                    location: document.root.position.location(in: path),
                    document: DocumentID(kind: "document", name: "#\(document.index)")))
            return nil
        }
        // A document has a handful of keys: searched, not hashed.
        let byKey = SmallMap(entries)
        let kindText = byKey["kind"]?.value.stringScalar
        let nameText = byKey["metadata"]?.value.entries?.first { $0.key == "name" }?.value.stringScalar
        let context = Context(
            file: document.file, path: path, id: DocumentID(kind: kindText ?? "document", name: nameText ?? "<unnamed>"), sink: sink,
            root: document.root)
        let location = context.location(position)

        for entry in entries where !KeyLists.document.contains(entry.key) {
            context.error(
                "unknown-key", entry.key, KeyLists.unknownKey(entry.key, known: KeyLists.document, owner: "a document"),
                at: entry.keyPosition)
        }
        // apiVersion
        if let entry = byKey["apiVersion"] {
            if entry.value.stringScalar != "connsync/v1" {
                context.error(
                    "api-version", "apiVersion", "must be connsync/v1 (got \(entry.value.display))", at: entry.value.position)
            }
        } else {
            context.error("missing-field", "apiVersion", "required field is missing; add apiVersion: connsync/v1", at: location)
        }
        // kind
        var kind: DocumentKind?
        if let entry = byKey["kind"] {
            if let text = entry.value.stringScalar, let parsed = DocumentKind(rawValue: text) {
                kind = parsed
            } else {
                context.error(
                    "kind", "kind", "must be one of Provider, Database, Connection (got \(entry.value.display))", at: entry.value.position)
            }
        } else {
            context.error("missing-field", "kind", "required field is missing; add kind: Provider, Database or Connection", at: location)
        }
        // metadata
        var name: String?
        var nameLocation = location
        var labels: [String: String] = [:]
        if let entry = byKey["metadata"] {
            if case .mapping(let fields, let metadataLocation) = entry.value {
                for field in fields where !KeyLists.metadata.contains(field.key) {
                    context.error(
                        "unknown-key", "metadata.\(field.key)", KeyLists.unknownKey(field.key, known: KeyLists.metadata, owner: "metadata"),
                        at: field.keyPosition)
                }
                if let nameEntry = fields.first(where: { $0.key == "name" }) {
                    nameLocation = context.location(nameEntry.value.position)
                    if let text = nameEntry.value.stringScalar {
                        if NameRules.isValidName(text) {
                            name = text
                        } else {
                            context.error(
                                "invalid-name", "metadata.name",
                                "'\(text)' is not a valid name: use letters, digits, '_', '.', '-', starting with a letter or digit, at most 100 characters",
                                at: nameEntry.value.position)
                        }
                    } else {
                        context.error(
                            "type", "metadata.name", "must be a string (got \(nameEntry.value.kindDescription))",
                            at: nameEntry.value.position)
                    }
                } else {
                    context.error("missing-field", "metadata.name", "required field is missing; every document needs a name", at: metadataLocation)
                }
                if let labelsEntry = fields.first(where: { $0.key == "labels" }) {
                    labels = checkLabels(labelsEntry.value, context: context)
                }
            } else {
                context.error("type", "metadata", "must be a mapping (got \(entry.value.kindDescription))", at: entry.value.position)
            }
        } else {
            context.error("missing-field", "metadata", "required field is missing; add metadata with a name", at: location)
        }
        // spec
        guard let specEntry = byKey["spec"] else {
            context.error("missing-field", "spec", "required field is missing", at: location)
            return nil
        }
        guard case .mapping(let spec, let specPosition) = specEntry.value else {
            context.error("type", "spec", "must be a mapping (got \(specEntry.value.kindDescription))", at: specEntry.value.position)
            return nil
        }
        guard let kind else { return nil }
        let specLocation = context.location(specPosition)
        switch kind {
        case .provider:
            let config = checkProvider(spec, at: specLocation, name: name ?? "", labels: labels, location: location, context: context)
            guard let name else { return nil }
            guard let config, !context.failed else { return .invalid(.provider, name: name) }
            return .provider(ParsedProvider(config: config, location: location, nameLocation: nameLocation))
        case .database:
            var fieldLocations: [CommonField: SourceLocation] = [:]
            let fields = checkDatabaseFields(spec, prefix: "spec", allowed: [], context: context, locations: &fieldLocations)
            for entry in spec where CommonField(key: entry.key) == nil {
                context.error(
                    "unknown-key", "spec.\(entry.key)",
                    KeyLists.unknownKey(entry.key, known: CommonField.allCases.map(\.rawValue), owner: "a Database spec"),
                    at: entry.keyPosition)
            }
            guard let name else { return nil }
            guard !context.failed else { return .invalid(.database, name: name) }
            return .database(
                ParsedDatabase(
                    definition: DatabaseDefinition(name: name, labels: labels, fields: fields, location: location), location: location,
                    nameLocation: nameLocation, fieldLocations: fieldLocations))
        case .connection:
            return checkConnection(
                spec, at: specLocation, name: name, nameLocation: nameLocation, labels: labels, location: location, context: context)
        }
    }

    func checkLabels(_ node: YNode, context: Context) -> [String: String] {
        guard case .mapping(let entries, _) = node else {
            context.error("type", "metadata.labels", "must be a mapping of strings (got \(node.kindDescription))", at: node.position)
            return [:]
        }
        var labels: [String: String] = [:]
        labels.reserveCapacity(entries.count)
        for entry in entries {
            if let text = entry.value.stringScalar {
                labels[entry.key] = text
            } else {
                context.error(
                    "type", "metadata.labels.\(entry.key)", "must be a string (got \(entry.value.kindDescription)); quote it",
                    at: entry.value.position)
            }
        }
        return labels
    }
}

/// The entries of a small mapping, found by key with a linear search (the last one wins,
/// as a dictionary built from them would).
struct SmallMap {
    let entries: [YNode.Entry]

    init(_ entries: [YNode.Entry]) { self.entries = entries }

    subscript(key: String) -> YNode.Entry? { entries.last { $0.key == key } }
}

extension YNode {
    /// The text of a string scalar; nil for anything else.
    var stringScalar: String? {
        if case .scalar(let text, .string, _) = self { return text }
        return nil
    }

    var isPlainScalar: Bool {
        if case .scalar(_, let kind, _) = self { return kind == .int || kind == .float || kind == .bool }
        return false
    }

    /// A short rendering for messages.
    var display: String {
        switch self {
        case .scalar(let text, .string, _): return "'\(text.count > 60 ? String(text.prefix(60)) + "…" : text)'"
        case .scalar(let text, .null, _): return text.isEmpty ? "null" : text
        case .scalar(let text, _, _): return text
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}
