import ConnSyncModel
import Foundation

extension DocumentChecker {
    // MARK: database fields

    /// The common database fields of a Database or Connection spec; other keys are left to the caller.
    func checkDatabaseFields(
        _ spec: [YNode.Entry], prefix: String, allowed: Set<String>, context: Context, locations: inout [CommonField: SourceLocation]
    ) -> DatabaseFields {
        var fields = DatabaseFields()
        for entry in spec {
            guard let field = CommonField(key: entry.key) else { continue }
            // Built only for a message or a secret: most fields are valid plain values.
            var path: String { "\(prefix).\(entry.key)" }
            locations[field] = context.location(entry.keyPosition)
            switch field {
            case .engine:
                if let text = entry.value.stringScalar, let engine = DatabaseEngine(rawValue: text) {
                    fields.engine = engine
                } else {
                    context.error(
                        "invalid-value", path, "must be one of postgresql, mysql, sqlserver, oracle, mongodb (got \(entry.value.display))",
                        at: entry.value.position)
                }
            case .host, .database, .username, .schema:
                guard let text = entry.value.stringScalar else {
                    let hint = entry.value.isPlainScalar ? "; quote it" : ""
                    context.error(
                        "type", path, "must be a string (got \(entry.value.kindDescription))\(hint)", at: entry.value.position)
                    continue
                }
                guard !text.isEmpty else {
                    context.error("invalid-value", path, "must not be empty", at: entry.value.position)
                    continue
                }
                switch field {
                case .host: fields.host = text
                case .database: fields.database = text
                case .username: fields.username = text
                default: fields.schema = text
                }
            case .port:
                if case .scalar(let text, .int, _) = entry.value, let number = YNode.integer(text) {
                    if (1...65535).contains(number) {
                        fields.port = number
                    } else {
                        context.error("port-range", path, "must be between 1 and 65535 (got \(number))", at: entry.value.position)
                    }
                } else {
                    context.error(
                        "type", path, "must be an integer from 1 to 65535 (got \(entry.value.kindDescription) \(entry.value.display))",
                        at: entry.value.position)
                }
            case .password:
                fields.password = checkSecret(entry.value, field: path, isSecretField: true, context: context)
            case .ssl:
                fields.ssl = checkSSL(entry.value, path: path, context: context)
            }
        }
        return fields
    }

    func checkSSL(_ node: YNode, path: String, context: Context) -> SSLSettings? {
        guard case .mapping(let entries, _) = node else {
            context.error("type", path, "must be a mapping with mode and optionally ca, cert, key (got \(node.kindDescription))", at: node.position)
            return nil
        }
        var ssl = SSLSettings()
        for entry in entries {
            switch entry.key {
            case "mode":
                if let text = entry.value.stringScalar, let mode = SSLMode(rawValue: text) {
                    ssl.mode = mode
                } else {
                    context.error(
                        "invalid-value", "\(path).mode", "must be one of disable, require, verify-ca, verify-full (got \(entry.value.display))",
                        at: entry.value.position)
                }
            case "ca": ssl.ca = checkSecret(entry.value, field: "\(path).ca", isSecretField: true, context: context)
            case "cert": ssl.cert = checkSecret(entry.value, field: "\(path).cert", isSecretField: true, context: context)
            case "key": ssl.key = checkSecret(entry.value, field: "\(path).key", isSecretField: true, context: context)
            default:
                context.error(
                    "unknown-key", "\(path).\(entry.key)", KeyLists.unknownKey(entry.key, known: KeyLists.ssl, owner: "ssl"), at: entry.keyPosition)
            }
        }
        return ssl
    }
}
