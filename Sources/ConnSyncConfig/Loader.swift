import ConnSyncModel
import Foundation

/// How strictly to load.
public struct LoadOptions: Sendable, Hashable {
    /// Resolve every secret reference (env set, file readable); without it references are
    /// checked for form only, as `connsync validate` does by default.
    public var resolveSecrets: Bool
    /// Accept literal values in secret fields (`--allow-plaintext-secrets`).
    public var allowPlaintextSecrets: Bool

    public init(resolveSecrets: Bool, allowPlaintextSecrets: Bool = false) {
        self.resolveSecrets = resolveSecrets
        self.allowPlaintextSecrets = allowPlaintextSecrets
    }
}

/// The loaded state, or every problem found.
public struct LoadResult: Sendable {
    /// nil when any error was found.
    public var state: DesiredState?
    /// Errors and warnings, sorted by location.
    public var diagnostics: [Diagnostic]
    /// Every Provider document without errors of its own, even when other documents have
    /// errors (a trusted source is compared provider by provider).
    public var providers: [ProviderConfig]

    public init(state: DesiredState?, diagnostics: [Diagnostic], providers: [ProviderConfig] = []) {
        self.state = state
        self.diagnostics = diagnostics
        self.providers = providers
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// Loads and validates desired state (config-format.md, all of it) and reports every
/// problem of a run together, each with `file:line:column`, the document and the field.
public struct DesiredStateLoader: Sendable {
    public let options: LoadOptions
    public let resolver: any SecretResolver

    public init(options: LoadOptions, resolver: any SecretResolver) {
        self.options = options
        self.resolver = resolver
    }

    public func load(from source: any DesiredStateSource) -> LoadResult {
        let files: [SourceFile]
        do {
            files = try source.yamlFiles()
        } catch {
            return LoadResult(state: nil, diagnostics: [Diagnostic(code: "source", message: error.description)])
        }
        return load(files: files, source: source)
    }

    public func load(files: [SourceFile], source: any DesiredStateSource) -> LoadResult {
        let sink = DiagnosticSink()
        var documents: [YDocument] = []
        // Files parse independently: spread them over the cores (order is kept).
        for (parsed, problems) in Parallel.map(files, minimumCount: 64, { YAMLReader.documents(of: $0) }) {
            documents += parsed
            sink.add(problems)
        }
        let checker = DocumentChecker(options: options, resolver: resolver, source: source, sink: sink)
        var providers: [ParsedProvider] = []
        var databases: [ParsedDatabase] = []
        var connections: [ParsedConnection] = []
        var invalid: [DocumentKind: Set<String>] = [:]
        for document in documents {
            switch checker.check(document) {
            case .provider(let provider)?: providers.append(provider)
            case .database(let database)?: databases.append(database)
            case .connection(let connection)?: connections.append(connection)
            case .invalid(let kind, let name)?: invalid[kind, default: []].insert(name)
            case nil: break
            }
        }
        let state = CrossReferences(sink: sink, source: source.info).resolve(
            providers: providers, databases: databases, connections: connections, invalid: invalid)
        let diagnostics = sink.sorted
        let hasErrors = diagnostics.contains { $0.severity == .error }
        return LoadResult(state: hasErrors ? nil : state, diagnostics: diagnostics, providers: providers.map(\.config))
    }
}

/// Collects diagnostics from every step.
final class DiagnosticSink: @unchecked Sendable {
    private(set) var all: [Diagnostic] = []

    func add(_ diagnostic: Diagnostic) { all.append(diagnostic) }
    func add(_ diagnostics: [Diagnostic]) { all += diagnostics }

    var sorted: [Diagnostic] {
        all.enumerated().sorted { lhs, rhs in
            switch (lhs.element.location, rhs.element.location) {
            case (let a?, let b?): return a == b ? lhs.offset < rhs.offset : a < b
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}

// MARK: - parsed documents (before cross-references)

struct ParsedProvider {
    var config: ProviderConfig
    var location: SourceLocation
}

struct ParsedDatabase {
    var definition: DatabaseDefinition
    var location: SourceLocation
    /// Where each set field is, for messages about inherited fields.
    var fieldLocations: [CommonField: SourceLocation]
}

struct ParsedConnection {
    var id: DocumentID
    var name: String
    var labels: [String: String]
    var provider: String
    var providerLocation: SourceLocation
    var databaseRef: String?
    var databaseRefLocation: SourceLocation?
    var fields: DatabaseFields
    var fieldLocations: [CommonField: SourceLocation]
    var options: Value
    var optionKeys: Set<String>
    var location: SourceLocation
    var nameLocation: SourceLocation
    var specLocation: SourceLocation
    /// The document had errors of its own: only its references are still checked, so that
    /// every error of a run is reported together.
    var hasErrors = false
}

enum ParsedDocument {
    case provider(ParsedProvider)
    case database(ParsedDatabase)
    case connection(ParsedConnection)
    /// A Provider or Database with errors of its own: its name still counts as defined, so
    /// that connections referring to it get no second, misleading "no Provider named" error.
    case invalid(DocumentKind, name: String)
}

// MARK: - one document

/// Checks one document: envelope, kind-specific spec, secret references.
struct DocumentChecker {
    let options: LoadOptions
    let resolver: any SecretResolver
    let source: any DesiredStateSource
    let sink: DiagnosticSink


    /// The reporting context of one document.
    final class Context {
        let file: SourceFile
        var id: DocumentID
        let sink: DiagnosticSink
        var failed = false

        init(file: SourceFile, id: DocumentID, sink: DiagnosticSink) {
            self.file = file
            self.id = id
            self.sink = sink
        }

        /// Reports a problem. A structural one keeps the document out of cross-reference checks;
        /// an unresolved secret does not (the document is still well-formed).
        func error(_ code: String, _ field: String?, _ message: String, at location: SourceLocation, structural: Bool = true) {
            if structural { failed = true }
            sink.add(Diagnostic(code: code, message: message, location: location, document: id, field: field))
        }
    }

    func check(_ document: YDocument) -> ParsedDocument? {
        guard case .mapping(let entries, let location) = document.root else {
            sink.add(
                Diagnostic(
                    code: "not-a-mapping",
                    message: "a document must be a mapping with apiVersion, kind, metadata and spec (got \(document.root.kindDescription))",
                    location: document.root.location,
                    document: DocumentID(kind: "document", name: "#\(document.index)")))
            return nil
        }
        var byKey: [String: YNode.Entry] = [:]
        for entry in entries { byKey[entry.key] = entry }
        let kindText = byKey["kind"]?.value.stringScalar
        let nameText = byKey["metadata"]?.value.entries?.first { $0.key == "name" }?.value.stringScalar
        let context = Context(
            file: document.file, id: DocumentID(kind: kindText ?? "document", name: nameText ?? "<unnamed>"), sink: sink)

        for entry in entries where !["apiVersion", "kind", "metadata", "spec"].contains(entry.key) {
            context.error(
                "unknown-key", entry.key, "unknown key '\(entry.key)'; a document has apiVersion, kind, metadata and spec",
                at: entry.keyLocation)
        }
        // apiVersion
        if let entry = byKey["apiVersion"] {
            if entry.value.stringScalar != "connsync/v1" {
                context.error(
                    "api-version", "apiVersion", "must be connsync/v1 (got \(entry.value.display))", at: entry.value.location)
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
                    "kind", "kind", "must be one of Provider, Database, Connection (got \(entry.value.display))", at: entry.value.location)
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
                for field in fields where field.key != "name" && field.key != "labels" {
                    context.error(
                        "unknown-key", "metadata.\(field.key)", "unknown key '\(field.key)'; metadata has name and labels",
                        at: field.keyLocation)
                }
                if let nameEntry = fields.first(where: { $0.key == "name" }) {
                    nameLocation = nameEntry.value.location
                    if let text = nameEntry.value.stringScalar {
                        if NameRules.isValidName(text) {
                            name = text
                        } else {
                            context.error(
                                "invalid-name", "metadata.name",
                                "'\(text)' is not a valid name: use letters, digits, '_', '.', '-', starting with a letter or digit, at most 100 characters",
                                at: nameEntry.value.location)
                        }
                    } else {
                        context.error(
                            "type", "metadata.name", "must be a string (got \(nameEntry.value.kindDescription))",
                            at: nameEntry.value.location)
                    }
                } else {
                    context.error("missing-field", "metadata.name", "required field is missing; every document needs a name", at: metadataLocation)
                }
                if let labelsEntry = fields.first(where: { $0.key == "labels" }) {
                    labels = checkLabels(labelsEntry.value, context: context)
                }
            } else {
                context.error("type", "metadata", "must be a mapping (got \(entry.value.kindDescription))", at: entry.value.location)
            }
        } else {
            context.error("missing-field", "metadata", "required field is missing; add metadata with a name", at: location)
        }
        // spec
        guard let specEntry = byKey["spec"] else {
            context.error("missing-field", "spec", "required field is missing", at: location)
            return nil
        }
        guard case .mapping(let spec, let specLocation) = specEntry.value else {
            context.error("type", "spec", "must be a mapping (got \(specEntry.value.kindDescription))", at: specEntry.value.location)
            return nil
        }
        guard let kind else { return nil }
        switch kind {
        case .provider:
            let config = checkProvider(spec, at: specLocation, name: name ?? "", labels: labels, location: location, context: context)
            guard let name else { return nil }
            guard let config, !context.failed else { return .invalid(.provider, name: name) }
            return .provider(ParsedProvider(config: config, location: location))
        case .database:
            var fieldLocations: [CommonField: SourceLocation] = [:]
            let fields = checkDatabaseFields(spec, prefix: "spec", allowed: [], context: context, locations: &fieldLocations)
            for entry in spec where CommonField(rawValue: entry.key) == nil {
                context.error(
                    "unknown-key", "spec.\(entry.key)",
                    "unknown key '\(entry.key)'; a Database spec has engine, host, port, database, username, password, schema and ssl",
                    at: entry.keyLocation)
            }
            guard let name else { return nil }
            guard !context.failed else { return .invalid(.database, name: name) }
            return .database(
                ParsedDatabase(
                    definition: DatabaseDefinition(name: name, labels: labels, fields: fields, location: location), location: location,
                    fieldLocations: fieldLocations))
        case .connection:
            return checkConnection(
                spec, at: specLocation, name: name, nameLocation: nameLocation, labels: labels, location: location, context: context)
        }
    }

    func checkLabels(_ node: YNode, context: Context) -> [String: String] {
        guard case .mapping(let entries, _) = node else {
            context.error("type", "metadata.labels", "must be a mapping of strings (got \(node.kindDescription))", at: node.location)
            return [:]
        }
        var labels: [String: String] = [:]
        for entry in entries {
            if let text = entry.value.stringScalar {
                labels[entry.key] = text
            } else {
                context.error(
                    "type", "metadata.labels.\(entry.key)", "must be a string (got \(entry.value.kindDescription)); quote it",
                    at: entry.value.location)
            }
        }
        return labels
    }

    // MARK: Provider

    static let providerKeys: Set<String> = [
        "type", "baseURL", "auth", "userId", "productName", "tenantId", "project", "concurrency", "rateLimit", "prune",
    ]
    /// Vendor settings and the vendors that use them.
    static let vendorSettings: [String: Set<VendorType>] = [
        "userId": [.wiremockCloud], "productName": [.lerianReporter], "tenantId": [.lerianReporter], "project": [.credibleData],
    ]

    func checkProvider(
        _ spec: [YNode.Entry], at specLocation: SourceLocation, name: String, labels: [String: String], location: SourceLocation,
        context: Context
    ) -> ProviderConfig? {
        var byKey: [String: YNode.Entry] = [:]
        for entry in spec {
            if Self.providerKeys.contains(entry.key) {
                byKey[entry.key] = entry
            } else {
                context.error(
                    "unknown-key", "spec.\(entry.key)",
                    "unknown key '\(entry.key)'; a Provider spec has type, baseURL, auth, userId, productName, tenantId, project, concurrency, rateLimit and prune",
                    at: entry.keyLocation)
            }
        }
        guard let typeEntry = byKey["type"] else {
            context.error(
                "missing-field", "spec.type",
                "required field is missing; set it to one of wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data",
                at: specLocation)
            return nil
        }
        guard let typeText = typeEntry.value.stringScalar, let type = VendorType(rawValue: typeText) else {
            context.error(
                "invalid-value", "spec.type",
                "must be one of wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data (got \(typeEntry.value.display))",
                at: typeEntry.value.location)
            return nil
        }
        let capabilities = VendorCapabilities.of(type)
        var config = ProviderConfig(name: name, type: type, labels: labels, location: location)

        if let entry = byKey["baseURL"] {
            if let text = entry.value.stringScalar {
                if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                    url.host?.isEmpty == false
                {
                    config.baseURL = text
                } else {
                    context.error(
                        "invalid-url", "spec.baseURL", "must be an absolute http(s) URL such as https://api.example.com (got \(entry.value.display))",
                        at: entry.value.location)
                }
            } else {
                context.error("type", "spec.baseURL", "must be a string (got \(entry.value.kindDescription))", at: entry.value.location)
            }
        } else if capabilities.defaultBaseURL == nil {
            context.error(
                "missing-field", "spec.baseURL", "required field is missing: \(type) has no default base URL; set the URL of your \(type) API",
                at: specLocation)
        }

        for (setting, vendors) in Self.vendorSettings.sorted(by: { $0.key < $1.key }) {
            guard let entry = byKey[setting] else { continue }
            guard vendors.contains(type) else {
                context.error(
                    "unsupported-setting", "spec.\(setting)",
                    "\(setting) is not used by \(type) (only by \(vendors.map(\.rawValue).sorted().joined(separator: ", "))); remove it",
                    at: entry.keyLocation)
                continue
            }
            guard let text = entry.value.stringScalar, !text.isEmpty else {
                context.error(
                    "type", "spec.\(setting)", "must be a non-empty string (got \(entry.value.kindDescription))", at: entry.value.location)
                continue
            }
            switch setting {
            case "userId": config.userId = text
            case "tenantId":
                // Sent as the X-Tenant-ID header.
                if NameRules.isSingleLine(text) {
                    config.tenantId = text
                } else {
                    context.error(
                        "invalid-value", "spec.tenantId", "must be one line of text without control characters (it is sent as a header)",
                        at: entry.value.location)
                }
            case "productName":
                if NameRules.isIdentifier(text, maximumLength: 100) {
                    config.productName = text
                } else {
                    context.error(
                        "invalid-value", "spec.productName",
                        "must match ^[a-zA-Z0-9_-]+$ and be at most 100 characters (got \(entry.value.display))", at: entry.value.location)
                }
            case "project":
                if NameRules.isIdentifier(text) {
                    config.project = text
                } else {
                    context.error(
                        "invalid-value", "spec.project", "must match ^[a-zA-Z0-9_-]+$ (got \(entry.value.display))", at: entry.value.location)
                }
            default: break
            }
        }
        if type == .wiremockCloud, byKey["userId"] == nil {
            context.error(
                "missing-field", "spec.userId", "required field is missing: wiremock-cloud lists and creates connections under a user id",
                at: specLocation)
        }
        if type == .credibleData, byKey["project"] == nil {
            context.error(
                "missing-field", "spec.project", "required field is missing: credible-data connections live in a project", at: specLocation)
        }

        if let entry = byKey["concurrency"] {
            if case .scalar(let text, .int, _) = entry.value, let number = Int(text), (1...256).contains(number) {
                config.concurrency = number
            } else {
                context.error(
                    "invalid-value", "spec.concurrency", "must be an integer from 1 to 256 (got \(entry.value.display))",
                    at: entry.value.location)
            }
        }
        if let entry = byKey["rateLimit"] {
            if let text = entry.value.stringScalar, let limit = RateLimit(parsing: text) {
                config.rateLimit = limit
            } else {
                context.error(
                    "invalid-value", "spec.rateLimit", "must be N/s or N/m with N ≥ 1, e.g. 200/m (got \(entry.value.display))",
                    at: entry.value.location)
            }
        }
        if let entry = byKey["prune"] {
            if case .scalar(let text, .bool, _) = entry.value {
                config.prune = YNode.boolean(text) ?? false
            } else {
                context.error("type", "spec.prune", "must be true or false (got \(entry.value.display))", at: entry.value.location)
            }
        }

        // auth
        var present = Set<String>()
        if let entry = byKey["auth"] {
            if case .mapping(let fields, _) = entry.value {
                for field in fields {
                    guard ["token", "username", "password"].contains(field.key) else {
                        context.error(
                            "unknown-key", "spec.auth.\(field.key)", "unknown key '\(field.key)'; auth has token, or username and password",
                            at: field.keyLocation)
                        continue
                    }
                    guard capabilities.authKeys.contains(field.key) else {
                        context.error(
                            "unsupported-setting", "spec.auth.\(field.key)",
                            "\(type) does not use auth.\(field.key); it uses \(capabilities.authKeys.sorted().map { "auth.\($0)" }.joined(separator: " and "))",
                            at: field.keyLocation)
                        continue
                    }
                    present.insert(field.key)
                    let secret = checkSecret(
                        field.value, field: "spec.auth.\(field.key)", isSecretField: field.key != "username", context: context)
                    switch field.key {
                    case "token": config.auth.token = secret
                    case "username": config.auth.username = secret
                    default: config.auth.password = secret
                    }
                }
            } else {
                context.error("type", "spec.auth", "must be a mapping (got \(entry.value.kindDescription))", at: entry.value.location)
            }
        }
        for key in capabilities.requiredAuthKeys.sorted() where !present.contains(key) {
            context.error(
                "missing-field", "spec.auth.\(key)",
                "required field is missing: \(type) needs auth.\(key), e.g. \(key): {fromEnv: \(Self.envSuggestion(name, key))}",
                at: byKey["auth"]?.value.location ?? specLocation)
        }
        return config
    }

    static func envSuggestion(_ name: String, _ key: String) -> String {
        (name + "_" + key).uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    // MARK: secrets

    /// A secret field or an auth value: a reference, or a literal (refused in secret fields
    /// unless plaintext secrets are allowed).
    func checkSecret(_ node: YNode, field: String, isSecretField: Bool, context: Context) -> Secret? {
        switch node {
        case .scalar(let text, .string, _):
            if isSecretField && !options.allowPlaintextSecrets {
                context.error(
                    "plaintext-secret", field,
                    "a secret must not be written in clear: use {fromEnv: NAME} or {fromFile: PATH} (or pass --allow-plaintext-secrets)",
                    at: node.location)
                return nil
            }
            return Secret(source: .literal, value: Sensitive(text))
        case .mapping(let entries, _):
            guard let source = secretSource(entries, field: field, node: node, context: context) else { return nil }
            return resolve(source, field: field, at: node.location, context: context)
        default:
            context.error(
                "type", field, "must be {fromEnv: NAME} or {fromFile: PATH} (got \(node.kindDescription))", at: node.location)
            return nil
        }
    }

    /// `{fromEnv: NAME}` / `{fromFile: PATH}`; nil (with an error) for anything else.
    func secretSource(_ entries: [YNode.Entry], field: String, node: YNode, context: Context) -> SecretSource? {
        guard entries.count == 1, let entry = entries.first, entry.key == "fromEnv" || entry.key == "fromFile" else {
            let keys = entries.map(\.key).joined(separator: ", ")
            context.error(
                "secret-reference", field, "a secret reference is {fromEnv: NAME} or {fromFile: PATH} (got a mapping with \(keys.isEmpty ? "no keys" : keys))",
                at: node.location)
            return nil
        }
        guard let text = entry.value.stringScalar, !text.isEmpty else {
            context.error(
                "secret-reference", "\(field).\(entry.key)", "must be a non-empty string (got \(entry.value.display))", at: entry.value.location)
            return nil
        }
        if entry.key == "fromEnv" {
            guard NameRules.isEnvironmentName(text) else {
                context.error(
                    "secret-reference", "\(field).fromEnv",
                    "'\(text)' is not an environment variable name: use letters, digits and '_', not starting with a digit",
                    at: entry.value.location)
                return nil
            }
            return .environment(text)
        }
        return .file(text)
    }

    func resolve(_ source: SecretSource, field: String, at location: SourceLocation, context: Context) -> Secret {
        guard options.resolveSecrets else { return Secret(source: source) }
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

    // MARK: database fields

    /// The common database fields of a Database or Connection spec; other keys are left to the caller.
    func checkDatabaseFields(
        _ spec: [YNode.Entry], prefix: String, allowed: Set<String>, context: Context, locations: inout [CommonField: SourceLocation]
    ) -> DatabaseFields {
        var fields = DatabaseFields()
        for entry in spec {
            guard let field = CommonField(rawValue: entry.key) else { continue }
            let path = "\(prefix).\(entry.key)"
            locations[field] = entry.keyLocation
            switch field {
            case .engine:
                if let text = entry.value.stringScalar, let engine = DatabaseEngine(rawValue: text) {
                    fields.engine = engine
                } else {
                    context.error(
                        "invalid-value", path, "must be one of postgresql, mysql, sqlserver, oracle, mongodb (got \(entry.value.display))",
                        at: entry.value.location)
                }
            case .host, .database, .username, .schema:
                guard let text = entry.value.stringScalar else {
                    let hint = entry.value.isPlainScalar ? "; quote it" : ""
                    context.error(
                        "type", path, "must be a string (got \(entry.value.kindDescription))\(hint)", at: entry.value.location)
                    continue
                }
                guard !text.isEmpty else {
                    context.error("invalid-value", path, "must not be empty", at: entry.value.location)
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
                        context.error("port-range", path, "must be between 1 and 65535 (got \(number))", at: entry.value.location)
                    }
                } else {
                    context.error(
                        "type", path, "must be an integer from 1 to 65535 (got \(entry.value.kindDescription) \(entry.value.display))",
                        at: entry.value.location)
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
            context.error("type", path, "must be a mapping with mode and optionally ca, cert, key (got \(node.kindDescription))", at: node.location)
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
                        at: entry.value.location)
                }
            case "ca": ssl.ca = checkSecret(entry.value, field: "\(path).ca", isSecretField: true, context: context)
            case "cert": ssl.cert = checkSecret(entry.value, field: "\(path).cert", isSecretField: true, context: context)
            case "key": ssl.key = checkSecret(entry.value, field: "\(path).key", isSecretField: true, context: context)
            default:
                context.error(
                    "unknown-key", "\(path).\(entry.key)", "unknown key '\(entry.key)'; ssl has mode, ca, cert and key", at: entry.keyLocation)
            }
        }
        return ssl
    }

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
        for entry in spec where CommonField(rawValue: entry.key) == nil {
            switch entry.key {
            case "provider":
                providerLocation = entry.value.location
                if let text = entry.value.stringScalar, !text.isEmpty {
                    provider = text
                } else {
                    context.error(
                        "type", "spec.provider", "must be the name of a Provider (got \(entry.value.kindDescription))", at: entry.value.location)
                }
            case "databaseRef":
                databaseRefLocation = entry.value.location
                if let text = entry.value.stringScalar, !text.isEmpty {
                    databaseRef = text
                } else {
                    context.error(
                        "type", "spec.databaseRef", "must be the name of a Database (got \(entry.value.kindDescription))",
                        at: entry.value.location)
                }
            case "options":
                guard case .mapping(let entries, _) = entry.value else {
                    context.error(
                        "type", "spec.options", "must be a mapping in the vendor's own shape (got \(entry.value.kindDescription))",
                        at: entry.value.location)
                    continue
                }
                optionKeys = Set(entries.map(\.key))
                options = optionValue(entry.value, path: "spec.options", context: context)
            default:
                context.error(
                    "unknown-key", "spec.\(entry.key)",
                    "unknown key '\(entry.key)'; a Connection spec has provider, databaseRef, options and the Database fields (engine, host, port, database, username, password, schema, ssl)",
                    at: entry.keyLocation)
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
            if entries.count == 1, let entry = entries.first, entry.key == "fromEnv" || entry.key == "fromFile" {
                guard let source = secretSource(entries, field: path, node: node, context: context) else { return .null }
                return .secret(resolve(source, field: path, at: node.location, context: context))
            }
            var fields: [String: Value] = [:]
            for entry in entries {
                fields[entry.key] = optionValue(entry.value, path: "\(path).\(entry.key)", context: context)
            }
            return .object(fields)
        case .sequence(let items, _):
            return .array(items.enumerated().map { optionValue($1, path: "\(path)[\($0)]", context: context) })
        case .scalar:
            return node.value
        }
    }
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

// MARK: - cross-references

/// Uniqueness, providers and databases referenced, inheritance, and the per-vendor mapping table.
struct CrossReferences {
    let sink: DiagnosticSink
    let source: SourceInfo

    /// Vendor keys (of `spec.options`) that stand for a common field.
    static let vendorKeys: [VendorType: [CommonField: String]] = [
        .wiremockCloud: [.engine: "databaseType", .host: "host", .port: "port", .database: "databaseName", .username: "username"],
        .lerianReporter: [.engine: "type", .host: "host", .port: "port", .database: "databaseName", .username: "userName"],
        .credibleData: [.engine: "type"],
        .datafor: [.engine: "databaseType", .host: "hostname", .port: "databasePort", .database: "databaseName", .username: "username"],
        .wixData: [:],
    ]

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

    func resolve(
        providers: [ParsedProvider], databases: [ParsedDatabase], connections: [ParsedConnection], invalid: [DocumentKind: Set<String>] = [:]
    ) -> DesiredState {
        let providerByName = unique(providers, kind: .provider, name: \.config.name, location: \.location)
        let databaseByName = unique(databases, kind: .database, name: \.definition.name, location: \.location)
        var seen: [Address: SourceLocation] = [:]
        var desired: [DesiredConnection] = []
        for connection in connections {
            let address = Address(provider: connection.provider, name: connection.name)
            if let first = seen[address] {
                error(
                    "duplicate-name", connection.id, "metadata.name",
                    "a Connection named '\(connection.name)' of Provider \(connection.provider) is already defined at \(first); names are unique per provider",
                    at: connection.location)
                continue
            }
            seen[address] = connection.location
            guard let provider = providerByName[connection.provider] else {
                // A Provider that exists but has errors was reported at its own document.
                if invalid[.provider]?.contains(connection.provider) == true { continue }
                error(
                    "unknown-provider", connection.id, "spec.provider", Self.noSuch(.provider, connection.provider, known: providerByName.keys),
                    at: connection.providerLocation)
                continue
            }
            var database: ParsedDatabase?
            if let ref = connection.databaseRef {
                database = databaseByName[ref]
                if database == nil {
                    if invalid[.database]?.contains(ref) == true { continue }
                    error(
                        "unknown-database", connection.id, "spec.databaseRef", Self.noSuch(.database, ref, known: databaseByName.keys),
                        at: connection.databaseRefLocation ?? connection.specLocation)
                    continue
                }
            }
            // A document with errors of its own is not checked against its vendor (its
            // fields are not all known); its references were, above.
            guard !connection.hasErrors else { continue }
            if let result = check(connection, provider: provider.config, database: database) {
                desired.append(result)
            }
        }
        return DesiredState(
            source: source, providers: providerByName.values.map(\.config), databases: databaseByName.values.map(\.definition),
            connections: desired)
    }

    func check(_ connection: ParsedConnection, provider: ProviderConfig, database: ParsedDatabase?) -> DesiredConnection? {
        let vendor = provider.type
        let capabilities = VendorCapabilities.of(vendor)
        var failed = false
        func fail(_ code: String, _ field: String?, _ message: String, at location: SourceLocation) {
            failed = true
            error(code, connection.id, field, message, at: location)
        }
        // Vendor name rules.
        switch vendor {
        case .credibleData:
            if !NameRules.isIdentifier(connection.name) {
                fail(
                    "vendor-name", "metadata.name", "credible-data connection names may only hold letters, digits, '_' and '-'",
                    at: connection.nameLocation)
            } else if connection.name == "duckdb" {
                fail("vendor-name", "metadata.name", "'duckdb' is a reserved connection name at credible-data; choose another", at: connection.nameLocation)
            }
        case .lerianReporter where connection.name.count < 3:
            fail("vendor-name", "metadata.name", "lerian-reporter connection names (configName) need at least 3 characters", at: connection.nameLocation)
        default:
            break
        }
        // Fields set on the Connection itself must be holdable by the vendor.
        for field in connection.fields.setFields.sorted() where !capabilities.supportedFields.contains(field) {
            fail(
                "unsupported-field", "spec.\(field)",
                "\(vendor) cannot hold \(field); remove it from this Connection"
                    + (vendor == .wixData ? " (wix-data connections are described by spec.options: endpoint and configuration)" : ""),
                at: connection.fieldLocations[field] ?? connection.specLocation)
        }
        // Inherit, then skip inherited fields the vendor cannot hold.
        var fields = connection.fields
        var skipped: [CommonField] = []
        if let database {
            let inherited = database.definition.fields
            for field in inherited.setFields.sorted() where !connection.fields.setFields.contains(field) {
                if !capabilities.supportedFields.contains(field) { skipped.append(field) }
            }
            var base = inherited
            for field in skipped { base = base.removing(field) }
            fields = base.overridden(by: connection.fields)
        }
        if let engine = fields.engine, !capabilities.supportedEngines.contains(engine) {
            let inherited = connection.fields.engine == nil
            fail(
                "unsupported-engine", "spec.engine",
                "\(vendor) does not support engine \(engine)"
                    + (inherited ? " (inherited from Database \(database?.definition.name ?? "?"))" : "")
                    + "; supported: \(capabilities.supportedEngines.map(\.rawValue).sorted().joined(separator: ", "))",
                at: inherited ? (connection.databaseRefLocation ?? connection.specLocation) : (connection.fieldLocations[.engine] ?? connection.specLocation))
        }
        // Required fields, unless spec.options gives the vendor's own key.
        let vendorKeys = Self.vendorKeys[vendor] ?? [:]
        let missing = capabilities.requiredFields.filter { field in
            !fields.setFields.contains(field) && !(vendorKeys[field].map { connection.optionKeys.contains($0) } ?? false)
        }
        if !missing.isEmpty {
            fail(
                "missing-field", "spec",
                "\(vendor) needs \(missing.map(\.rawValue).joined(separator: ", ")): set \(missing.count == 1 ? "it" : "them") on the Connection or on the Database it references",
                at: connection.specLocation)
        }
        if vendor == .wixData, connection.options["endpoint"]?.stringValue == nil {
            fail(
                "missing-field", "spec.options.endpoint",
                "wix-data needs spec.options.endpoint (the URL of your external database adapter) and usually spec.options.configuration",
                at: connection.specLocation)
        }
        if vendor == .lerianReporter, let ssl = fields.ssl, ssl.mode == nil {
            fail("missing-field", "spec.ssl.mode", "lerian-reporter needs ssl.mode when ssl is given", at: connection.fieldLocations[.ssl] ?? connection.specLocation)
        }
        guard !failed else { return nil }
        return DesiredConnection(
            address: Address(provider: connection.provider, name: connection.name), vendor: vendor, labels: connection.labels,
            databaseRef: connection.databaseRef, fields: fields, skippedFields: skipped, options: connection.options,
            location: connection.location)
    }
}
