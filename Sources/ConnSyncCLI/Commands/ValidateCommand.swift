import ArgumentParser
import ConnSyncConfig
import ConnSyncModel
import Foundation

/// `connsync validate`: parse and check every document and cross-reference, with no network.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the desired state (every document and cross-reference) without any network call.",
        discussion: """
            Secret references are checked for form (nothing is decrypted or run); with --resolve-secrets \
            they are also resolved (variables set, files readable, age files decrypted, and with \
            --allow-secret-commands secret commands run), so CI can lint a pull request without production secrets.
            Exit codes: 0 valid, 1 invalid.
            """)

    @OptionGroup var source: SourceOptions

    @Flag(name: .customLong("resolve-secrets"), help: "Also resolve every secret reference (env set, file readable, age file decrypted, command run).")
    var resolveSecrets = false

    @Flag(name: .customLong("allow-plaintext-secrets"), help: "Accept literal values in secret fields.")
    var allowPlaintextSecrets = false

    @Option(name: .long, help: "Output format: text or json.")
    var format: ValidateFormat = .text

    @Flag(name: .long, help: "Same as --format json.")
    var json = false

    enum ValidateFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    func run() throws {
        let context = CommandContext()
        let console = context.console
        let asJSON = json || format == .json
        var result: LoadResult
        do {
            let origin = try context.source(source.spec)
            let loader = DesiredStateLoader(
                options: LoadOptions(
                    resolveSecrets: resolveSecrets, allowPlaintextSecrets: allowPlaintextSecrets, allowSecretCommands: source.allowSecretCommands),
                resolver: context.secretResolver(source.spec), vendors: context.vendors.catalog)
            result = loader.load(from: origin)
            if let empty = CommandContext.emptySourceError(result, source: origin.info, allowEmpty: source.allowEmpty) {
                result = LoadResult(state: nil, diagnostics: [Diagnostic(code: "empty-source", message: empty)])
            }
        } catch {
            result = LoadResult(state: nil, diagnostics: [Diagnostic(code: "source", message: "\(error)")])
        }
        if asJSON {
            console.write(Self.json(result).jsonString(pretty: true) + "\n")
        } else {
            for warning in result.warnings { console.error("Warning: \(warning)") }
            if let state = result.state {
                console.line(
                    "Valid: \(state.providers.count) provider\(state.providers.count == 1 ? "" : "s"), \(state.databases.count) database\(state.databases.count == 1 ? "" : "s"), \(state.connections.count) connection\(state.connections.count == 1 ? "" : "s").")
            } else {
                for error in result.errors { console.error("Error: \(ErrorText.describe(error))") }
                let count = result.errors.count
                console.error("\(count) error\(count == 1 ? "" : "s").")
            }
        }
        ProcessEnd.now(result.state == nil ? 1 : 0, keeping: result)
    }

    /// `{"valid", "errors", "warnings", "summary"}` for editors and CI annotations.
    static func json(_ result: LoadResult) -> Value {
        func entry(_ diagnostic: Diagnostic) -> Value {
            [
                "file": diagnostic.location.map { .string($0.file) } ?? .null,
                "line": diagnostic.location.map { .int($0.line) } ?? .null,
                "column": diagnostic.location.map { .int($0.column) } ?? .null,
                "document": diagnostic.document.map { ["kind": .string($0.kind), "name": .string($0.name)] } ?? .null,
                "field": diagnostic.field.map(Value.string) ?? .null,
                "code": .string(diagnostic.code),
                "severity": .string(diagnostic.severity.rawValue),
                "message": .string(diagnostic.message),
            ]
        }
        return [
            "valid": .bool(result.state != nil),
            "errors": .array(result.errors.map(entry)),
            "warnings": .array(result.warnings.map(entry)),
            "summary": [
                "providers": .int(result.state?.providers.count ?? 0),
                "databases": .int(result.state?.databases.count ?? 0),
                "connections": .int(result.state?.connections.count ?? 0),
            ],
        ]
    }
}
