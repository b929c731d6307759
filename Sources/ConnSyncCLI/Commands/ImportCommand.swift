import ArgumentParser
import ConnSyncConfig
import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation

/// `connsync import`: write desired-state documents for a provider's existing connections.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write Connection (and shared Database) documents for a provider's existing remote connections.",
        discussion: """
            Reads the Providers from the desired state (--dir or --repo), lists each named provider's \
            connections, and writes one document per connection — to stdout, or as files under --out DIR \
            (databases/NAME.yaml, connections/PROVIDER/NAME.yaml), in a stable form so that importing again \
            gives no git diff. Connections that hold the same engine/host/port/database/username share one \
            Database document. Secrets the vendor returns become {fromEnv: NAME} placeholders whose names are \
            listed on stderr (values are never written); write-only secrets stay undeclared, with a comment. \
            Connections the desired state already declares are left out. A plan right after the import, with \
            the listed variables set, shows no changes.
            """)

    @Option(name: .long, help: ArgumentHelp("The Provider to import from (repeatable).", valueName: "NAME"))
    var provider: [String]

    @Option(name: .long, help: ArgumentHelp("Write one file per document under DIR instead of stdout.", valueName: "DIR"))
    var out: String?

    @Option(name: .customLong("name-filter"), help: ArgumentHelp("Only connections whose name matches this glob (e.g. 'orders-*').", valueName: "GLOB"))
    var nameFilter: String?

    @OptionGroup var source: SourceOptions
    @OptionGroup var trust: TrustOptions

    @Option(name: .long, help: "Most requests in flight overall.")
    var parallelism: Int = 16

    func validate() throws {
        guard !provider.isEmpty else { throw ValidationError("name at least one --provider") }
    }

    func run() async throws {
        let context = CommandContext()
        let console = context.console
        // Only the chosen Providers' credentials are needed: load without resolving, then resolve those.
        let loaded: DesiredState
        do {
            let origin = try context.source(source.spec)
            let result = DesiredStateLoader(
                options: LoadOptions(resolveSecrets: false), resolver: StandardSecretResolver(environment: [:]), vendors: context.vendors.catalog)
                .load(from: origin)
            guard let state = result.state else {
                for error in result.errors { console.error("Error: \(ErrorText.describe(error))") }
                throw ExitCode(1)
            }
            loaded = state
        } catch let exit as ExitCode {
            throw exit
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        var providers: [ProviderConfig] = []
        for name in provider {
            guard var config = loaded.provider(named: name) else {
                let known = loaded.providers.map(\.name).joined(separator: ", ")
                console.error("Error: no Provider named '\(name)' in the desired state (known: \(known.isEmpty ? "none" : known)); define it first")
                throw ExitCode(1)
            }
            do {
                config.auth = try resolve(config.auth, environment: context.environment)
            } catch {
                console.error("Error: Provider \(name): \(error)")
                throw ExitCode(1)
            }
            providers.append(config)
        }

        let desired = DesiredState(source: loaded.source, providers: providers, databases: [], connections: [])
        let gate = try context.gate(trust.spec, source: source.spec, desired: desired)
        for (_, refusal) in gate.refusals.sorted(by: { $0.key < $1.key }) { console.error("Error: \(refusal)") }
        if !gate.refusals.isEmpty { throw ExitCode(1) }
        let progress = ProgressView(console: console, style: .plain)
        let stack = context.transportStack(
            desired: desired, parallelism: parallelism, delegate: progress, requestTimeout: trust.requestTimeoutDuration)
        var imports: [(provider: ProviderConfig, objects: [RemoteObject])] = []
        var failed = false
        for config in providers {
            do {
                let vendor = try stack.provider(config)
                var objects = try await vendor.observe(names: nil)
                if let nameFilter { objects = objects.filter { Self.matches($0.name, glob: nameFilter) } }
                // Declared elsewhere: left out. Declared in files under --out: imported again (re-import is idempotent).
                let declared = Set(
                    loaded.connections.filter { $0.address.provider == config.name && !isUnderOut($0.location) }.map(\.name))
                let already = objects.filter { declared.contains($0.name) }
                if !already.isEmpty {
                    console.error("Note: \(already.count) connection\(already.count == 1 ? "" : "s") of \(config.name) already in the desired state, left out: \(already.map(\.name).sorted().joined(separator: ", "))")
                }
                imports.append((config, objects.filter { !declared.contains($0.name) }))
            } catch {
                console.error("Error: \(ErrorText.describe(error))")
                failed = true
            }
        }
        await stack.shutdown()
        if failed { throw ExitCode(1) }

        // Databases written by an earlier import under --out are written again, under the same
        // names (re-import is idempotent); only those declared elsewhere are reserved.
        let reserved = Set(loaded.databases.filter { !isUnderOut($0.location) }.map(\.name))
        let result = ImportBuilder(vendors: context.vendors).build(imports, reservedDatabaseNames: reserved)
        for skipped in result.skipped {
            console.error("Skipped \(skipped.provider)/\(ControlCharacters.escaped(String(skipped.name.prefix(200)))): \(skipped.reason)")
        }
        if let out {
            do {
                for document in result.documents {
                    let url = URL(fileURLWithPath: out).appendingPathComponent(document.path)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(document.contents.utf8).write(to: url, options: .atomic)
                }
            } catch {
                console.error("Error: cannot write under \(out): \(ErrorText.describe(error))")
                throw ExitCode(1)
            }
            console.error("Wrote \(result.documents.count) document\(result.documents.count == 1 ? "" : "s") under \(out).")
        } else if !result.documents.isEmpty {
            console.write(result.stream)
        }
        let count = result.documents.filter { $0.path.hasPrefix("connections/") }.count
        console.error("Imported \(count) connection\(count == 1 ? "" : "s") from \(providers.map(\.name).joined(separator: ", ")).")
        if !result.variables.isEmpty {
            console.error("Set these variables before planning (the vendor returns these secrets; their values were not written):")
            for variable in result.variables {
                console.error("  \(variable.name)    for \(variable.address) \(variable.field)")
            }
        }
        console.error("Next: review the files, then run `connsync plan` — it should show no changes.")
    }

    /// Whether a document lives under `--out` (so a re-import rewrites it).
    func isUnderOut(_ location: SourceLocation?) -> Bool {
        guard let out, let file = location?.file else { return false }
        let folder = URL(fileURLWithPath: out).standardizedFileURL.path + "/"
        return URL(fileURLWithPath: file).standardizedFileURL.path.hasPrefix(folder)
    }

    /// Resolves the auth secrets of one Provider (env, or a file path relative to the current folder).
    func resolve(_ auth: ProviderAuth, environment: [String: String]) throws -> ProviderAuth {
        let resolver = StandardSecretResolver(environment: environment)
        let here = DirectorySource(directory: ".")
        let file = SourceFile(path: "providers.yaml", displayPath: "providers.yaml", contents: Data())
        func one(_ secret: Secret?) throws -> Secret? {
            guard var secret else { return nil }
            if secret.value == nil { secret.value = Sensitive(try resolver.resolve(secret.source, in: file, from: here)) }
            return secret
        }
        return ProviderAuth(token: try one(auth.token), username: try one(auth.username), password: try one(auth.password))
    }

    /// Shell-style glob: `*`, `?`, `[...]`.
    static func matches(_ name: String, glob: String) -> Bool {
        fnmatch(glob, name, 0) == 0
    }
}
