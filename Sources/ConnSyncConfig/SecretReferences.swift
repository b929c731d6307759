import ConnSyncModel
import Foundation

extension DocumentChecker {
    // MARK: secrets

    /// A secret field or an auth value: a reference, or a literal (refused in secret fields
    /// unless plaintext secrets are allowed).
    func checkSecret(_ node: YNode, field: String, isSecretField: Bool, context: Context) -> Secret? {
        switch node {
        case .scalar(let text, .string, _):
            if isSecretField && !options.allowPlaintextSecrets {
                context.error(
                    "plaintext-secret", field,
                    "a secret must not be written in clear: use \(KeyLists.secretReferenceForms) (or pass --allow-plaintext-secrets)",
                    at: node.position)
                return nil
            }
            return Secret(source: .literal, value: Sensitive(text))
        case .mapping(let entries, _):
            guard let source = secretSource(entries, field: field, node: node, context: context) else { return nil }
            return resolve(source, field: field, at: context.location(node.position), context: context)
        default:
            context.error(
                "type", field, "must be \(KeyLists.secretReferenceForms) (got \(node.kindDescription))", at: node.position)
            return nil
        }
    }

    /// `{fromEnv: NAME}` / `{fromFile: PATH}` / `{fromCommand: [ARGV...]}`; nil (with an error)
    /// for anything else.
    func secretSource(_ entries: [YNode.Entry], field: String, node: YNode, context: Context) -> SecretSource? {
        guard entries.count == 1, let entry = entries.first, KeyLists.secretReference.contains(entry.key) else {
            let keys = entries.map(\.key).joined(separator: ", ")
            context.error(
                "secret-reference", field,
                "a secret reference is \(KeyLists.secretReferenceForms) (got a mapping with \(keys.isEmpty ? "no keys" : keys))",
                at: node.position)
            return nil
        }
        if entry.key == "fromCommand" { return commandSource(entry, field: field, context: context) }
        guard let text = entry.value.stringScalar, !text.isEmpty else {
            context.error(
                "secret-reference", "\(field).\(entry.key)", "must be a non-empty string (got \(entry.value.display))", at: entry.value.position)
            return nil
        }
        if entry.key == "fromEnv" {
            guard NameRules.isEnvironmentName(text) else {
                context.error(
                    "secret-reference", "\(field).fromEnv",
                    "'\(text)' is not an environment variable name: use letters, digits and '_', not starting with a digit",
                    at: entry.value.position)
                return nil
            }
            return .environment(text)
        }
        return .file(text)
    }

    /// The most arguments a secret command may have, and the longest one.
    static let maximumArguments = 64
    static let maximumArgumentLength = 4096

    /// `fromCommand: [ARGV...]`: one to 64 non-empty strings on one line each.
    func commandSource(_ entry: YNode.Entry, field: String, context: Context) -> SecretSource? {
        let path = "\(field).fromCommand"
        guard case .sequence(let items, _) = entry.value, !items.isEmpty, items.count <= Self.maximumArguments else {
            context.error(
                "secret-reference", path,
                "must be a list of 1 to \(Self.maximumArguments) strings, the program and its arguments, e.g. [vault, kv, get, -field=password, secret/orders] (got \(entry.value.display))",
                at: entry.value.position)
            return nil
        }
        var argv: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringScalar, !text.isEmpty, text.utf8.count <= Self.maximumArgumentLength, NameRules.isSingleLine(text)
            else {
                context.error(
                    "secret-reference", "\(path)[\(index)]",
                    "must be a non-empty string of one line, at most \(Self.maximumArgumentLength) bytes (got \(item.display))"
                        + (item.isPlainScalar ? "; quote it" : ""), at: item.position)
                return nil
            }
            argv.append(text)
        }
        return .command(argv)
    }

    func resolve(_ source: SecretSource, field: String, at location: SourceLocation, context: Context) -> Secret {
        guard options.resolveSecrets else { return Secret(source: source) }
        if case .command = source {
            // Checked before anything runs: allowed at all, and the document is the trusted one.
            var refusal: SecretResolutionError?
            if !options.allowSecretCommands {
                refusal = .commandsNotAllowed
            } else if let trusted = options.trustedDocuments, !trusted.contains(context.canonical) {
                refusal = .commandNotTrusted(reference: trusted.reference)
            }
            if let refusal {
                context.error("unresolved-secret", field, refusal.description, at: location, structural: false)
                return Secret(source: source)
            }
        }
        do {
            let value = try resolver.resolve(source, in: context.file, from: self.source)
            // PEM blocks keep their line breaks; a header or single-line value may hold no control character.
            let isMultiLine = Self.multiLineSecretFields.contains { field.hasSuffix($0) }
            guard isMultiLine ? NameRules.isMultiLineText(value) : NameRules.isSingleLine(value) else {
                context.error(
                    "secret-control-character", field,
                    "the value of {\(source)} holds a control character"
                        + (isMultiLine ? "" : " (a line break inside it?): this field takes a single line"),
                    at: location, structural: false)
                return Secret(source: source)
            }
            return Secret(source: source, value: Sensitive(value))
        } catch {
            context.error("unresolved-secret", field, error.description, at: location, structural: false)
            return Secret(source: source)
        }
    }

    /// Secret fields that hold PEM text and may keep `\n`, `\r` and `\t`.
    static let multiLineSecretFields = [".ssl.ca", ".ssl.cert", ".ssl.key"]
}
