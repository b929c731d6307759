import ConnSyncModel
import Foundation

/// How strictly to load.
public struct LoadOptions: Sendable, Hashable {
    /// Resolve every secret reference (env set, file readable); without it references are
    /// checked for form only, as `connsync validate` does by default.
    public var resolveSecrets: Bool
    /// Accept literal values in secret fields (`--allow-plaintext-secrets`).
    public var allowPlaintextSecrets: Bool
    /// Run `fromCommand` references (`--allow-secret-commands`).
    public var allowSecretCommands: Bool
    /// With a trusted source: a document's `fromCommand` runs only when the trusted source
    /// holds the same document.
    public var trustedDocuments: TrustedDocuments?

    public init(
        resolveSecrets: Bool, allowPlaintextSecrets: Bool = false, allowSecretCommands: Bool = false, trustedDocuments: TrustedDocuments? = nil
    ) {
        self.resolveSecrets = resolveSecrets
        self.allowPlaintextSecrets = allowPlaintextSecrets
        self.allowSecretCommands = allowSecretCommands
        self.trustedDocuments = trustedDocuments
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
    /// How many documents the source holds (0: the source is empty, or mistyped).
    public var documentCount: Int

    public init(state: DesiredState?, diagnostics: [Diagnostic], providers: [ProviderConfig] = [], documentCount: Int = 0) {
        self.state = state
        self.diagnostics = diagnostics
        self.providers = providers
        self.documentCount = documentCount
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// Loads and validates desired state (config-format.md, all of it) and reports every
/// problem of a run together, each with `file:line:column`, the document and the field.
public struct DesiredStateLoader: Sendable {
    public let options: LoadOptions
    public let resolver: any SecretResolver
    /// The rules of every vendor a Provider may name.
    public let vendors: VendorCatalog

    public init(options: LoadOptions, resolver: any SecretResolver, vendors: VendorCatalog) {
        self.options = options
        self.resolver = resolver
        self.vendors = vendors
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
        // Files, and chunks of a large file, are read and checked on their own, spread over
        // the cores (order is kept); a unit's YAML tree is dropped once its documents are
        // checked. Secret commands run one at a time, so with them the units go in order.
        let units = files.flatMap(YAMLReader.units)
        var outcomes = checkAll(units, source: source)
        var providers: [ParsedProvider] = []
        var databases: [ParsedDatabase] = []
        var connections: [ParsedConnection] = []
        var invalid: [DocumentKind: Set<String>] = [:]
        var foreign: [ForeignDocuments.Found] = []
        var brokenFiles = 0
        var documentCount = 0
        var brokenFile: String?
        connections.reserveCapacity(outcomes.reduce(0) { $0 + $1.parsed.count })
        for (unit, outcome) in zip(units, outcomes) {
            // Reading a file stops at its first syntax error: later chunks count for nothing.
            if brokenFile == unit.file.path { continue }
            sink.add(outcome.diagnostics)
            foreign += outcome.foreign
            documentCount += outcome.documentCount
            for parsed in outcome.parsed {
                switch parsed {
                case .provider(let provider): providers.append(provider)
                case .database(let database): databases.append(database)
                case .connection(let connection): connections.append(connection)
                case .invalid(let kind, let name): invalid[kind, default: []].insert(name)
                }
            }
            if outcome.failed {
                brokenFiles += 1
                brokenFile = unit.file.path
            }
        }
        // Held twice otherwise (here and in the lists above) while references are resolved.
        outcomes = []
        ForeignDocuments.report(foreign, sink: sink)
        let references = CrossReferences(sink: sink, source: source.info, vendors: vendors)
        let state = references.resolve(
            providers: providers, databases: databases, connections: connections, invalid: invalid, namesComplete: brokenFiles == 0)
        if references.unreported.value > 0 {
            let count = references.unreported.value
            sink.add(
                Diagnostic(
                    .warning, code: "references-unchecked",
                    message: "\(count) reference\(count == 1 ? "" : "s") to a Provider or Database not found \(count == 1 ? "is" : "are") reported once every file parses (a file with a YAML error may define \(count == 1 ? "it" : "them"))"))
        }
        let diagnostics = sink.sorted
        let hasErrors = diagnostics.contains { $0.severity == .error }
        return LoadResult(
            state: hasErrors ? nil : state, diagnostics: diagnostics, providers: providers.map(\.config), documentCount: documentCount)
    }

    /// What one unit yields: its YAML problems and its documents checked, each with its
    /// own diagnostics (gathered here, merged in order by the caller).
    struct UnitOutcome: Sendable {
        var parsed: [ParsedDocument] = []
        var foreign: [ForeignDocuments.Found] = []
        var diagnostics: [Diagnostic] = []
        var documentCount = 0
        /// The unit had a YAML problem.
        var failed = false
    }

    /// Every unit checked. Reading a file stops at its first syntax error: in order (with
    /// secret commands, which must never run for documents after one), nothing after it is
    /// checked; in parallel, a unit whose file is already known broken is skipped, and the
    /// merge drops whatever was checked after the error anyway (its references were only
    /// read: environment, files, age).
    func checkAll(_ units: [YAMLUnit], source: any DesiredStateSource) -> [UnitOutcome] {
        if options.allowSecretCommands {
            var outcomes: [UnitOutcome] = []
            var broken: String?
            for unit in units {
                guard broken != unit.file.path else {
                    outcomes.append(UnitOutcome())
                    continue
                }
                let outcome = check(unit, source: source)
                if outcome.failed { broken = unit.file.path }
                outcomes.append(outcome)
            }
            return outcomes
        }
        let broken = BrokenFiles()
        return Parallel.map(units, minimumCount: 2) { unit in
            guard !broken.contains(unit.file.path, before: unit.chunk?.range.lowerBound ?? 0) else { return UnitOutcome() }
            let outcome = self.check(unit, source: source)
            if outcome.failed { broken.insert(unit.file.path, at: unit.chunk?.range.lowerBound ?? 0) }
            return outcome
        }
    }

    func check(_ unit: YAMLUnit, source: any DesiredStateSource) -> UnitOutcome {
        let sink = DiagnosticSink()
        // One copy of the path for the unit's reader and checker (``SourceFile/ownDisplayPath``).
        let path = unit.file.ownDisplayPath
        let (documents, problems) = unit.read(path: path)
        sink.add(problems)
        var outcome = UnitOutcome(documentCount: documents.count, failed: !problems.isEmpty)
        let checker = DocumentChecker(
            options: options, resolver: resolver, source: source, sink: sink, vendors: vendors, path: path)
        for document in documents {
            if let found = ForeignDocuments.found(document) {
                outcome.foreign.append(found)
            } else if let parsed = checker.check(document) {
                outcome.parsed.append(parsed)
            }
        }
        outcome.diagnostics = sink.all
        return outcome
    }
}

/// Files whose reading failed, and where: a later chunk of theirs need not be checked.
final class BrokenFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var failedAt: [String: Int] = [:]

    func insert(_ file: String, at offset: Int) {
        lock.withLock { failedAt[file] = min(failedAt[file] ?? offset, offset) }
    }

    /// Whether `file` failed in a chunk before `offset`.
    func contains(_ file: String, before offset: Int) -> Bool {
        lock.withLock { failedAt[file].map { $0 < offset } ?? false }
    }
}

/// Collects diagnostics from every step.
final class DiagnosticSink: @unchecked Sendable {
    private(set) var all: [Diagnostic] = []

    func add(_ diagnostic: Diagnostic) { all.append(diagnostic) }
    func add(_ diagnostics: [Diagnostic]) { all += diagnostics }

    /// YAML errors first (everything else may follow from them), then by position, then what
    /// has no position.
    static func rank(_ diagnostic: Diagnostic) -> Int {
        if diagnostic.code.hasPrefix("yaml-") || diagnostic.code == "duplicate-key" { return 0 }
        return diagnostic.location == nil && diagnostic.severity == .warning ? 2 : 1
    }


    var sorted: [Diagnostic] {
        all.enumerated().sorted { lhs, rhs in
            let left = Self.rank(lhs.element)
            let right = Self.rank(rhs.element)
            if left != right { return left < right }
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

// Parsed documents are classes: they are handed from the chunk that read them to the
// cross-references, and each connection's check refers to its provider and database; as
// structs of this many fields, every step retained and released each field (with the
// provider and database as structs again, validate of 5,000 took 57 -> 65 ms: their shared
// fields' counts bounced between the cores checking connections). The initializers are
// the memberwise ones a struct would have.

final class ParsedProvider: Sendable {
    let config: ProviderConfig
    let location: SourceLocation
    /// Where `metadata.name` is (duplicate names are reported there).
    let nameLocation: SourceLocation

    init(config: ProviderConfig, location: SourceLocation, nameLocation: SourceLocation) {
        self.config = config
        self.location = location
        self.nameLocation = nameLocation
    }
}

final class ParsedDatabase: Sendable {
    let definition: DatabaseDefinition
    let location: SourceLocation
    let nameLocation: SourceLocation
    /// Where each set field is, for messages about inherited fields.
    let fieldLocations: [CommonField: SourceLocation]

    init(definition: DatabaseDefinition, location: SourceLocation, nameLocation: SourceLocation, fieldLocations: [CommonField: SourceLocation]) {
        self.definition = definition
        self.location = location
        self.nameLocation = nameLocation
        self.fieldLocations = fieldLocations
    }
}

final class ParsedConnection: Sendable {
    let id: DocumentID
    let name: String
    let labels: [String: String]
    let provider: String
    let providerLocation: SourceLocation
    let databaseRef: String?
    let databaseRefLocation: SourceLocation?
    let fields: DatabaseFields
    let fieldLocations: [CommonField: SourceLocation]
    let options: Value
    let optionKeys: Set<String>
    let location: SourceLocation
    let nameLocation: SourceLocation
    let specLocation: SourceLocation
    /// The document had errors of its own: only its references are still checked, so that
    /// every error of a run is reported together.
    let hasErrors: Bool

    init(
        id: DocumentID, name: String, labels: [String: String], provider: String, providerLocation: SourceLocation, databaseRef: String?,
        databaseRefLocation: SourceLocation?, fields: DatabaseFields, fieldLocations: [CommonField: SourceLocation], options: Value,
        optionKeys: Set<String>, location: SourceLocation, nameLocation: SourceLocation, specLocation: SourceLocation, hasErrors: Bool = false
    ) {
        self.id = id
        self.name = name
        self.labels = labels
        self.provider = provider
        self.providerLocation = providerLocation
        self.databaseRef = databaseRef
        self.databaseRefLocation = databaseRefLocation
        self.fields = fields
        self.fieldLocations = fieldLocations
        self.options = options
        self.optionKeys = optionKeys
        self.location = location
        self.nameLocation = nameLocation
        self.specLocation = specLocation
        self.hasErrors = hasErrors
    }
}

enum ParsedDocument: Sendable {
    case provider(ParsedProvider)
    case database(ParsedDatabase)
    case connection(ParsedConnection)
    /// A Provider or Database with errors of its own: its name still counts as defined, so
    /// that connections referring to it get no second, misleading "no Provider named" error.
    case invalid(DocumentKind, name: String)
}
