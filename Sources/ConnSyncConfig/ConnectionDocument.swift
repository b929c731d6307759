import ConnSyncModel
import Foundation

extension DocumentChecker {
    static let connectionKeys = ["provider", "databaseRef", "options"] + CommonField.allCases.map(\.rawValue)

    // MARK: Connection

    func checkConnection(
        _ spec: [YNode.Entry], at specLocation: SourceLocation, name: String?, nameLocation: SourceLocation, labels: [String: String],
        location: SourceLocation, context: Context
    ) -> ParsedDocument? {
        var fieldLocations: [CommonField: SourceLocation] = [:]
        let fields = checkDatabaseFields(spec, prefix: "spec", allowed: [], context: context, locations: &fieldLocations)
        var provider: String?
        var providerLocation = specLocation
        var databaseRef: String?
        var databaseRefLocation: SourceLocation?
        var options: Value = .emptyObject
        var optionKeys = Set<String>()
        for entry in spec where CommonField(key: entry.key) == nil {
            switch entry.key {
            case "provider":
                providerLocation = context.location(entry.value.position)
                if let text = entry.value.stringScalar, !text.isEmpty {
                    provider = text
                } else {
                    context.error(
                        "type", "spec.provider", "must be the name of a Provider (got \(entry.value.kindDescription))", at: entry.value.position)
                }
            case "databaseRef":
                databaseRefLocation = context.location(entry.value.position)
                if let text = entry.value.stringScalar, !text.isEmpty {
                    databaseRef = text
                } else {
                    context.error(
                        "type", "spec.databaseRef", "must be the name of a Database (got \(entry.value.kindDescription))",
                        at: entry.value.position)
                }
            case "options":
                guard case .mapping(let entries, _) = entry.value else {
                    context.error(
                        "type", "spec.options", "must be a mapping in the vendor's own shape (got \(entry.value.kindDescription))",
                        at: entry.value.position)
                    continue
                }
                optionKeys.reserveCapacity(entries.count)
                for option in entries { optionKeys.insert(option.key) }
                options = optionValue(entry.value, path: "spec.options", context: context)
            default:
                context.error(
                    "unknown-key", "spec.\(entry.key)",
                    KeyLists.unknownKey(entry.key, known: Self.connectionKeys, owner: "a Connection spec"),
                    at: entry.keyPosition)
            }
        }
        if provider == nil, !spec.contains(where: { $0.key == "provider" }) {
            context.error("missing-field", "spec.provider", "required field is missing: name the Provider this connection belongs to", at: specLocation)
        }
        guard let name, let provider else { return nil }
        return .connection(
            ParsedConnection(
                id: context.id, name: name, labels: labels, provider: provider, providerLocation: providerLocation, databaseRef: databaseRef,
                databaseRefLocation: databaseRefLocation, fields: fields, fieldLocations: fieldLocations, options: options,
                optionKeys: optionKeys, location: location, nameLocation: nameLocation, specLocation: specLocation,
                hasErrors: context.failed))
    }

    /// `spec.options` as written, with string leaves written as references turned into secrets.
    func optionValue(_ node: YNode, path: String, context: Context) -> Value {
        switch node {
        case .mapping(let entries, _):
            if entries.count == 1, let entry = entries.first, KeyLists.secretReference.contains(entry.key) {
                guard let source = secretSource(entries, field: path, node: node, context: context) else { return .null }
                return .secret(resolve(source, field: path, at: context.location(node.position), context: context))
            }
            var fields: [String: Value] = [:]
            fields.reserveCapacity(entries.count)
            for entry in entries {
                // A scalar needs no path (nothing about it is reported): none is built.
                if case .scalar = entry.value {
                    fields[entry.key] = entry.value.value
                } else {
                    fields[entry.key] = optionValue(entry.value, path: "\(path).\(entry.key)", context: context)
                }
            }
            return .object(fields)
        case .sequence(let items, _):
            return .array(items.enumerated().map { optionValue($1, path: "\(path)[\($0)]", context: context) })
        case .scalar:
            return node.value
        }
    }
}
