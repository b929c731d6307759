import ArgumentParser
import ConnSyncConfig
import ConnSyncEngine
import ConnSyncGit
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation

/// The composition root: the real transport, clock, stores, source readers, wired for one command.
struct CommandContext: Sendable {
    let environment: [String: String]
    let console: Console
    let clock: any ConnSyncClock = SystemClock()
    /// Every vendor connsync speaks to.
    let vendors: VendorRegistry

    init(
        console: Console = Console(), environment: [String: String] = ProcessInfo.processInfo.environment,
        vendors: VendorRegistry = .standard
    ) {
        self.console = console
        self.environment = environment
        self.vendors = vendors
    }

    // MARK: desired state

    /// The source the options name (a folder, or a commit of a git repository). A folder's
    /// git status (HEAD and dirty flag) is not looked up here: ``sourceWithLookup(_:)`` does
    /// it alongside the files.
    func source(_ options: SourceSpec) throws -> any DesiredStateSource {
        if let repo = options.repo {
            return try GitSource.open(
                repository: repo, ref: options.ref, path: options.path, cacheDirectory: gitCacheDirectory(),
                credentials: GitCredentials.fromEnvironment(environment, sshKeyPath: options.sshKey))
        }
        let directory = options.dir ?? "."
        return DirectorySource(directory: directory, info: SourceInfo(kind: .directory, location: URL(fileURLWithPath: directory).standardizedFileURL.path))
    }

    /// The source, and for a folder its git status being looked up meanwhile: `git status`
    /// of a large work tree costs as much as loading it, so the two run side by side.
    func sourceWithLookup(_ options: SourceSpec) throws -> (any DesiredStateSource, WorkTreeLookup?) {
        let source = try self.source(options)
        return (source, options.repo == nil ? WorkTreeLookup(directory: options.dir ?? ".") : nil)
    }

    /// The commit `--ref` points at now (fetched first for a URL), without reading the files;
    /// nil for a folder source or when it cannot be told.
    func revision(_ options: SourceSpec) -> String? {
        guard let repo = options.repo else { return nil }
        let reader = GitReader(
            cacheDirectory: gitCacheDirectory(), credentials: GitCredentials.fromEnvironment(environment, sshKeyPath: options.sshKey))
        return try? reader.snapshot(repository: repo, ref: options.ref).commitID
    }

    /// `$CONNSYNC_CACHE`, default `~/.cache/connsync`; repositories under `repos/`.
    func gitCacheDirectory() -> String {
        let base =
            environment["CONNSYNC_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache/connsync")
        return base + "/repos"
    }

    /// Resolves references with this environment (one resolver per load: each secret command
    /// runs once per load); `fromFile` may read outside the source only under `/run/secrets`,
    /// `CONNSYNC_SECRETS_DIRS` (colon-separated) and `--secrets-dir`; age files decrypt with
    /// `--age-identity`, else `CONNSYNC_AGE_IDENTITY`.
    func secretResolver(_ options: SourceSpec) -> StandardSecretResolver {
        let fromEnvironment = (environment["CONNSYNC_SECRETS_DIRS"] ?? "").split(separator: ":").map(String.init)
        return StandardSecretResolver(
            environment: environment,
            secretsDirectories: StandardSecretResolver.defaultSecretsDirectories + fromEnvironment + options.secretsDirs,
            ageIdentityFile: options.ageIdentity ?? environment["CONNSYNC_AGE_IDENTITY"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// How to load: what to resolve and allow, and, when secret commands may run under a
    /// trusted source, that source's documents (a command runs only for a document it holds).
    func loadOptions(_ options: SourceSpec, resolveSecrets: Bool, allowPlaintext: Bool, trust: TrustSpec?) throws -> LoadOptions {
        var load = LoadOptions(
            resolveSecrets: resolveSecrets, allowPlaintextSecrets: allowPlaintext, allowSecretCommands: options.allowSecretCommands)
        if resolveSecrets, options.allowSecretCommands, let trust, let trusted = try trustedSource(trust, source: options) {
            load.trustedDocuments = try TrustedDocuments.load(from: trusted.source, reference: trusted.reference)
        }
        return load
    }

    /// Loads and validates, printing every diagnostic; throws exit 1 on errors. `trust`: the
    /// trusted source secret commands are checked against (plan, apply).
    func loadDesired(_ options: SourceOptions, resolveSecrets: Bool, allowPlaintext: Bool, trust: TrustSpec? = nil) throws -> DesiredState {
        let source: any DesiredStateSource
        let lookup: WorkTreeLookup?
        let load: LoadOptions
        do {
            (source, lookup) = try sourceWithLookup(options.spec)
            load = try loadOptions(options.spec, resolveSecrets: resolveSecrets, allowPlaintext: allowPlaintext, trust: trust)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        let loader = DesiredStateLoader(options: load, resolver: secretResolver(options.spec), vendors: vendors.catalog)
        let result = loader.load(from: source)
        for warning in result.warnings { console.error("Warning: \(warning)") }
        if let empty = Self.emptySourceError(result, source: source.info, allowEmpty: options.allowEmpty) {
            console.error("Error: \(empty)")
            throw ExitCode(1)
        }
        guard var state = result.state else {
            for error in result.errors { console.error("Error: \(ErrorText.describe(error))") }
            let count = result.errors.count
            console.error("\(count) error\(count == 1 ? "" : "s") in the desired state; nothing was sent to any vendor.")
            throw ExitCode(1)
        }
        lookup?.complete(&state.source)
        return state
    }

    /// The error for a source without any document (cli.md v1.1: a mistyped --dir or --path
    /// must not read as "nothing to do"), unless `--allow-empty`.
    static func emptySourceError(_ result: LoadResult, source: SourceInfo, allowEmpty: Bool) -> String? {
        guard result.documentCount == 0, result.diagnostics.isEmpty, !allowEmpty else { return nil }
        var place = source.location
        if source.kind == .git {
            place += (source.path.map { " (path \($0))" } ?? "") + (source.shortCommit.map { " at \($0)" } ?? "")
        }
        return "\(place) holds no connsync document (no *.yaml or *.yml file with a document in it): check --dir, or --repo and --path; pass --allow-empty if that is intended"
    }

    /// Loads and validates without printing: problems come back as one error (for the
    /// controller's logs). Each call is a load: secret commands run again (a rotated vault
    /// secret is picked up).
    func loadDesiredQuietly(_ options: SourceSpec, allowPlaintext: Bool, trust: TrustSpec? = nil) throws -> DesiredState {
        let (source, lookup) = try sourceWithLookup(options)
        let loader = DesiredStateLoader(
            options: try loadOptions(options, resolveSecrets: true, allowPlaintext: allowPlaintext, trust: trust),
            resolver: secretResolver(options), vendors: vendors.catalog)
        let result = loader.load(from: source)
        guard var state = result.state else { throw DiagnosticsError(result.errors) }
        lookup?.complete(&state.source)
        return state
    }

    // MARK: state

    func openStore(_ options: StateOptions) async throws -> any StateStore {
        do {
            let location = try options.location(environment: environment)
            let store = try await openStateStore(location, clock: clock)
            for note in store.openingNotes { console.error("Note: \(note)") }
            return store
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
    }

    /// Opens the store, runs `body`, and closes the store whatever happens.
    func withStore<T>(_ options: StateOptions, _ body: (any StateStore) async throws -> T) async throws -> T {
        let store = try await openStore(options)
        do {
            let result = try await body(store)
            try? await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The holder of a lock this process takes for `command`.
    func lockHolder(command: String) -> LockHolder {
        let process = SystemProcessEnvironment()
        let now = clock.date()
        return LockHolder(host: process.hostName, pid: process.processID, command: command, startedAt: now, heartbeatAt: now)
    }

    /// Reconcile options of `command` run by this process.
    func reconcileOptions(
        command: String, lockTimeout: Duration, targets: [Address] = [], fingerprints: Bool = false, views: Bool = true
    ) -> Engine.ReconcileOptions {
        let process = SystemProcessEnvironment()
        return Engine.ReconcileOptions(
            command: command, host: process.hostName, pid: process.processID, lockTimeout: lockTimeout, targets: targets, fingerprints: fingerprints,
            views: views)
    }

    /// An engine over `stack` and `store`, for the vendors of this context.
    func engine(stack: TransportStack, store: any StateStore, delegate: any EngineDelegate, gate: Engine.ProviderGate) -> Engine {
        engine(stack: stack, store: store, delegate: delegate) { gate }
    }

    /// An engine whose gate is decided when each plan starts.
    func engine(
        stack: TransportStack, store: any StateStore, delegate: any EngineDelegate,
        decideGate: @escaping @Sendable () -> Engine.ProviderGate
    ) -> Engine {
        Engine(
            mappings: vendors.mappings, buildProvider: { config throws(ProviderError) in try stack.provider(config) }, store: store, clock: clock,
            delegate: delegate, decideGate: decideGate, redactor: stack.redactor)
    }

    // MARK: providers

    /// The HTTP stack of every provider: one pooled client, a global in-flight cap, and per
    /// provider its own cap, retries and rate limit.
    func transportStack(
        desired: DesiredState, parallelism: Int, delegate: any EngineDelegate, requestTimeout: Duration = .seconds(60), redactor: Redactor? = nil
    ) -> TransportStack {
        // Several providers may live on one host (an emulator, a gateway): give the pool room for
        // all of them at once, bounded by the overall cap.
        let total = desired.providers.map(\.concurrency).reduce(0, +)
        return TransportStack(
            base: NIOHTTPTransport(maximumConnectionsPerHost: max(8, min(parallelism, total)), timeout: requestTimeout),
            vendors: vendors, parallelism: parallelism, clock: clock, delegate: delegate, redactor: redactor ?? desired.redactor)
    }
}

/// A folder's git status, looked up on a thread of its own from the moment it is created.
final class WorkTreeLookup: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var status: (commitID: String, isDirty: Bool)?

    init(directory: String) {
        Thread.detachNewThread { [self] in
            status = gitWorkTreeStatus(containing: directory)
            done.signal()
        }
    }

    /// Waits for the lookup, then records HEAD and the dirty flag in `info`.
    func complete(_ info: inout SourceInfo) {
        done.wait()
        guard let status else { return }
        info.commit = status.commitID
        info.isDirty = status.isDirty
    }
}
