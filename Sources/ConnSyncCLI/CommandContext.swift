import ArgumentParser
import ConnSyncConfig
import ConnSyncEngine
import ConnSyncGit
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation

/// Writes to the terminal: results to stdout, logs and progress to stderr (cli.md).
/// The only place that prints.
public struct Console: Sendable {
    public let stdoutIsTerminal: Bool
    public let stderrIsTerminal: Bool
    public let stdinIsTerminal: Bool
    private let lock = ConsoleLock()

    public init() {
        stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
        stderrIsTerminal = isatty(STDERR_FILENO) == 1
        stdinIsTerminal = isatty(STDIN_FILENO) == 1
    }

    /// Writes `text` to stdout as is.
    public func write(_ text: String) {
        lock.withLock { FileHandle.standardOutput.write(Data(text.utf8)) }
    }

    /// Writes a line to stdout.
    public func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Writes a line to stderr.
    public func error(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }

    /// Writes to stderr without a newline (progress lines).
    public func errorRaw(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data(text.utf8)) }
    }
}

final class ConsoleLock: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// The composition root: the real transport, clock, stores, source readers, wired for one command.
struct CommandContext {
    let environment: [String: String]
    let console: Console
    let clock: any ConnSyncClock = SystemClock()

    init(console: Console = Console(), environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.console = console
        self.environment = environment
    }

    // MARK: desired state

    /// The source the options name (a folder, or a commit of a git repository).
    func source(_ options: SourceSpec) throws -> any DesiredStateSource {
        if let repo = options.repo {
            return try GitSource.open(
                repository: repo, ref: options.ref, path: options.path, cacheDirectory: gitCacheDirectory(),
                credentials: GitCredentials.fromEnvironment(environment, sshKeyPath: options.sshKey))
        }
        let directory = options.dir ?? "."
        var info = SourceInfo(kind: .directory, location: URL(fileURLWithPath: directory).standardizedFileURL.path)
        if let status = gitWorkTreeStatus(containing: directory) {
            info.commit = status.commitID
            info.isDirty = status.isDirty
        }
        return DirectorySource(directory: directory, info: info)
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

    /// Resolves references with this environment; `fromFile` may read outside the source only
    /// under `/run/secrets`, `CONNSYNC_SECRETS_DIRS` (colon-separated) and `--secrets-dir`.
    func secretResolver(_ options: SourceSpec) -> StandardSecretResolver {
        let fromEnvironment = (environment["CONNSYNC_SECRETS_DIRS"] ?? "").split(separator: ":").map(String.init)
        return StandardSecretResolver(
            environment: environment,
            secretsDirectories: StandardSecretResolver.defaultSecretsDirectories + fromEnvironment + options.secretsDirs)
    }

    /// Loads and validates, printing every diagnostic; throws exit 1 on errors.
    func loadDesired(_ options: SourceOptions, resolveSecrets: Bool, allowPlaintext: Bool) throws -> DesiredState {
        let source: any DesiredStateSource
        do {
            source = try self.source(options.spec)
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        let loader = DesiredStateLoader(
            options: LoadOptions(resolveSecrets: resolveSecrets, allowPlaintextSecrets: allowPlaintext),
            resolver: secretResolver(options.spec))
        let result = loader.load(from: source)
        for warning in result.warnings { console.error("Warning: \(warning)") }
        if let empty = Self.emptySourceError(result, source: source.info, allowEmpty: options.allowEmpty) {
            console.error("Error: \(empty)")
            throw ExitCode(1)
        }
        guard let state = result.state else {
            for error in result.errors { console.error("Error: \(ErrorText.describe(error))") }
            let count = result.errors.count
            console.error("\(count) error\(count == 1 ? "" : "s") in the desired state; nothing was sent to any vendor.")
            throw ExitCode(1)
        }
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

    /// Loads and validates without printing: problems come back as one error (for the controller's logs).
    func loadDesiredQuietly(_ options: SourceSpec, allowPlaintext: Bool) throws -> DesiredState {
        let source = try self.source(options)
        let loader = DesiredStateLoader(
            options: LoadOptions(resolveSecrets: true, allowPlaintextSecrets: allowPlaintext),
            resolver: secretResolver(options))
        let result = loader.load(from: source)
        guard let state = result.state else { throw DiagnosticsError(result.errors) }
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

    func lockHolder(command: String) -> LockHolder {
        let environment = SystemProcessEnvironment()
        let now = Date()
        return LockHolder(host: environment.hostName, pid: environment.processID, command: command, startedAt: now, heartbeatAt: now)
    }

    // MARK: providers

    /// The HTTP stack of every provider: one pooled client, a global in-flight cap, and per
    /// provider its own cap, retries and rate limit.
    func transportStack(
        desired: DesiredState, parallelism: Int, delegate: any EngineDelegate, requestTimeout: Duration = .seconds(60)
    ) -> TransportStack {
        // Several providers may live on one host (an emulator, a gateway): give the pool room for
        // all of them at once, bounded by the overall cap.
        let total = desired.providers.map(\.concurrency).reduce(0, +)
        return TransportStack(
            base: AsyncHTTPClientTransport(maximumConnectionsPerHost: max(8, min(parallelism, total)), timeout: requestTimeout),
            parallelism: parallelism, clock: clock, delegate: delegate, redactor: desired.redactor)
    }
}

/// The transports of one run; ``shutdown()`` closes the pooled connections.
final class TransportStack: Sendable {
    let base: AsyncHTTPClientTransport
    let recorder: RecordingTransport
    let global: ConcurrencyLimiter
    let clock: any ConnSyncClock
    let delegate: any EngineDelegate
    /// Every secret of the desired state: kept out of what vendors answer.
    let redactor: Redactor

    init(
        base: AsyncHTTPClientTransport, parallelism: Int, clock: any ConnSyncClock, delegate: any EngineDelegate, redactor: Redactor
    ) {
        self.base = base
        recorder = RecordingTransport(base: base)
        global = ConcurrencyLimiter(limit: parallelism)
        self.clock = clock
        self.delegate = delegate
        self.redactor = redactor
    }

    /// Builds the provider for `config` over this stack.
    func provider(_ config: ProviderConfig) throws(ProviderError) -> any Provider {
        let delegate = self.delegate
        let name = config.name
        // Innermost first: the global cap is taken last, just before sending (were it taken
        // first, waiters for one busy provider would hold global permits and starve the others);
        // a rate-limit wait holds only this provider's permit; retries are outermost, so a
        // back-off sleep holds no permit at all.
        var transport: any HTTPTransport = ConcurrencyLimitedTransport(base: recorder, limiter: global)
        if let limit = config.effectiveRateLimit {
            transport = RateLimitedTransport(base: transport, limiter: RateLimiter(limit: limit, clock: clock))
        }
        transport = ConcurrencyLimitedTransport(base: transport, limiter: ConcurrencyLimiter(limit: config.concurrency))
        transport = RetryingTransport(
            base: transport, clock: clock,
            onRetry: { event in
                delegate.engine(.retrying(provider: name, attempt: event.attempt, delay: event.delay, reason: "\(event.request) \(event.reason)"))
            })
        let jobWait = JobWaitPolicy(
            clock: clock, onWait: { address, attempt, delay in delegate.engine(.waitingForJob(address: address, attempt: attempt, delay: delay)) })
        return try ProviderFactory.make(config, transport: transport, jobWait: jobWait, redactor: redactor)
    }

    func shutdown() async {
        await base.shutdown()
    }
}
