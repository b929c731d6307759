import ConnSyncModel
import Foundation

/// The Providers of a trusted source (`--trusted-ref`, `--trusted-dir`; cli.md v1.1): a
/// Provider of the source being planned must equal, after parsing, the one of the same name
/// there, or nothing is sent to it. What a Provider decides (where requests go and with
/// which credentials) is therefore taken only from reviewed YAML; labels do not count.
public struct TrustedProviders: Sendable {
    /// How messages name the trusted source: `the ref origin/main`, `the folder /srv/reviewed`.
    public let reference: String
    public let providers: [String: ProviderConfig]

    public init(reference: String, providers: [ProviderConfig]) {
        self.reference = reference
        var byName: [String: ProviderConfig] = [:]
        for provider in providers where byName[provider.name] == nil { byName[provider.name] = provider }
        self.providers = byName
    }

    /// Loads the Providers of `source` (references checked for form only: nothing is resolved).
    public static func load(from source: any DesiredStateSource, reference: String, vendors: VendorCatalog) throws(SourceError)
        -> TrustedProviders
    {
        let files = try source.yamlFiles()
        let loader = DesiredStateLoader(
            options: LoadOptions(resolveSecrets: false, allowPlaintextSecrets: true), resolver: NoSecrets(), vendors: vendors)
        return TrustedProviders(reference: reference, providers: loader.load(files: files, source: source).providers)
    }

    /// Why each provider of `desired` may receive nothing, by name: new, different in a field,
    /// or with an auth value read from a file the planned source controls.
    ///
    /// - Parameter isInSource: whether an absolute path resolves inside the planned source. A
    ///   `fromFile` in a Provider's auth is judged by where it leads, not by its text: a
    ///   relative path (or one into the source) reads a file the pull request may have turned
    ///   into a symlink to another provider's token, so it is refused under a trusted source.
    public func refusals(for desired: [ProviderConfig], isInSource: (String) -> Bool = { _ in false }) -> [String: String] {
        var result: [String: String] = [:]
        for provider in desired {
            for (key, secret) in provider.auth.all {
                guard case .file(let path) = secret.source, !path.hasPrefix("/") || isInSource(path) else { continue }
                result[provider.name] =
                    "Provider \(provider.name): spec.auth.\(key) reads a file of the source being planned, which it may have changed; "
                    + "with \(reference) as the trusted source, use fromEnv or an absolute path under a secrets folder: refused, nothing is sent to it"
            }
            if result[provider.name] != nil { continue }
            guard let trusted = providers[provider.name] else {
                result[provider.name] =
                    "Provider \(provider.name) is not in \(reference): refused, nothing is sent to it (a new Provider is planned once it is merged)"
                continue
            }
            if let field = provider.firstDifference(from: trusted) {
                result[provider.name] =
                    "Provider \(provider.name): \(field) differs from \(reference): refused, nothing is sent to it (a changed Provider is planned once it is merged)"
            }
        }
        return result
    }

    /// Providers of the trusted source that `desired` does not have, with the error to report.
    public func removals(from desired: [ProviderConfig]) -> [String: String] {
        let names = Set(desired.map(\.name))
        var result: [String: String] = [:]
        for name in providers.keys where !names.contains(name) {
            result[name] = "Provider \(name) is in \(reference) but not in this source: a removed Provider is applied only once it is merged"
        }
        return result
    }
}

/// The documents of a trusted source, as the trust check of secret commands compares them
/// (cli.md v1.1, config-format v1.1): a `fromCommand` of the source being loaded runs only
/// for a document the trusted source holds exactly (after parsing: key order, quoting and
/// comments do not count).
public struct TrustedDocuments: Sendable, Hashable {
    /// How messages name the trusted source.
    public let reference: String
    private let documents: Set<String>

    init(reference: String, documents: Set<String>) {
        self.reference = reference
        self.documents = documents
    }

    /// Reads every document of `source` (nothing is resolved or run).
    public static func load(from source: any DesiredStateSource, reference: String) throws(SourceError) -> TrustedDocuments {
        var documents = Set<String>()
        for file in try source.yamlFiles() {
            for document in YAMLReader.documents(of: file).0 { documents.insert(canonical(document.root)) }
        }
        return TrustedDocuments(reference: reference, documents: documents)
    }

    func contains(_ canonical: String) -> Bool {
        documents.contains(canonical)
    }

    /// A document as text that only its meaning decides: mappings by sorted key, every
    /// scalar with its kind, each part length-prefixed.
    static func canonical(_ node: YNode) -> String {
        func part(_ text: String) -> String { "\(text.utf8.count):\(text)" }
        switch node {
        case .scalar(let text, let kind, _): return "s\(kind)" + part(text)
        case .sequence(let items, _): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .mapping(let entries, _):
            return "{" + entries.sorted { $0.key < $1.key }.map { part($0.key) + canonical($0.value) }.joined(separator: ",") + "}"
        }
    }
}

/// Resolves nothing (trusted sources are compared by their references, never by values).
struct NoSecrets: SecretResolver {
    func resolve(_ source: SecretSource, in file: SourceFile, from origin: any DesiredStateSource) throws(SecretResolutionError) -> String {
        throw .literalNotResolvable
    }
}

extension ProviderConfig {
    /// The first field of `spec` (in the document's order, the vendor's settings by name) where
    /// `self` and `other` differ, or nil when they are equal after parsing. Secrets compare by
    /// their references (a literal by its value); `metadata.labels` do not count.
    public func firstDifference(from other: ProviderConfig) -> String? {
        func same(_ lhs: Secret?, _ rhs: Secret?) -> Bool {
            guard let lhs, let rhs else { return lhs == nil && rhs == nil }
            if case .literal = lhs.source { return rhs.source == .literal && lhs.value == rhs.value }
            return lhs.source == rhs.source
        }
        let settingKeys = Set(settings.keys).union(other.settings.keys).sorted()
        let fields: [(String, Bool)] =
            [
                ("spec.type", type == other.type),
                ("spec.baseURL", baseURL == other.baseURL),
                ("spec.auth.token", same(auth.token, other.auth.token)),
                ("spec.auth.username", same(auth.username, other.auth.username)),
                ("spec.auth.password", same(auth.password, other.auth.password)),
            ] + settingKeys.map { ("spec.\($0)", settings[$0] == other.settings[$0]) } + [
                ("spec.concurrency", concurrency == other.concurrency),
                ("spec.rateLimit", rateLimit == other.rateLimit),
                ("spec.prune", prune == other.prune),
            ]
        return fields.first { !$0.1 }?.0
    }
}
