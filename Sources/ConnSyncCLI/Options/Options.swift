import ArgumentParser
import ConnSyncModel
import ConnSyncState

/// Where desired state comes from (cli.md: every command that reads config).
public struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A plain folder of YAML files.", valueName: "DIR"))
    public var dir: String?

    @Option(
        name: .long,
        help: ArgumentHelp("A git repository: local path, file://, https://, ssh:// or git:// URL (read with libgit2).", valueName: "PATH_OR_URL"))
    public var repo: String?

    @Option(name: .long, help: ArgumentHelp("With --repo: branch, tag or commit.", valueName: "REF"))
    public var ref: String = "HEAD"

    @Option(name: .long, help: ArgumentHelp("With --repo: the folder inside the repository.", valueName: "SUBDIR"))
    public var path: String = ""

    @Option(name: .customLong("ssh-key"), help: ArgumentHelp("With an ssh:// --repo: a private key file (default: the SSH agent).", valueName: "FILE"))
    public var sshKey: String?

    @Option(
        name: .customLong("secrets-dir"),
        help: ArgumentHelp(
            "A folder where fromFile may read outside the source (repeatable; added to /run/secrets and CONNSYNC_SECRETS_DIRS).",
            valueName: "DIR"))
    public var secretsDirs: [String] = []

    @Option(
        name: .customLong("age-identity"),
        help: ArgumentHelp("The age identity file (age-keygen format) that decrypts age-encrypted fromFile secrets (env CONNSYNC_AGE_IDENTITY).", valueName: "FILE"))
    public var ageIdentity: String?

    @Flag(name: .customLong("allow-secret-commands"), help: "Run {fromCommand: [...]} secret references (a vault CLI, op, sops); off by default.")
    public var allowSecretCommands = false

    @Flag(name: .customLong("allow-empty"), help: "Accept a source that holds no connsync document (otherwise an error).")
    public var allowEmpty = false

    public init() {}

    /// The options as a plain value (for closures that outlive the command).
    public var spec: SourceSpec {
        SourceSpec(
            dir: dir, repo: repo, ref: ref, path: path, sshKey: sshKey, secretsDirs: secretsDirs, ageIdentity: ageIdentity,
            allowSecretCommands: allowSecretCommands)
    }

    /// How secrets are read: these options' own, for another source (a saved plan's).
    public mutating func takeSecretOptions(from other: SourceOptions) {
        secretsDirs = other.secretsDirs
        ageIdentity = other.ageIdentity
        allowSecretCommands = other.allowSecretCommands
    }

    public mutating func validate() throws {
        if repo != nil, dir != nil {
            throw ValidationError("--dir and --repo both name a source; give one of them")
        }
        if repo == nil, ref != "HEAD" {
            throw ValidationError("--ref needs --repo")
        }
        if repo == nil, !path.isEmpty {
            throw ValidationError("--path needs --repo (with --dir, point --dir at the folder itself)")
        }
    }
}

/// Where desired state comes from, as a Sendable value.
public struct SourceSpec: Sendable, Hashable {
    public var dir: String?
    public var repo: String?
    public var ref: String
    public var path: String
    public var sshKey: String?
    /// `--secrets-dir` folders (the defaults and `CONNSYNC_SECRETS_DIRS` are added by the context).
    public var secretsDirs: [String] = []
    /// `--age-identity` (else `CONNSYNC_AGE_IDENTITY`, read by the context).
    public var ageIdentity: String?
    /// `--allow-secret-commands`.
    public var allowSecretCommands = false
}

/// Where state lives.
public struct StateOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "State: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB (env CONNSYNC_STATE; default sqlite:.connsync/state.db).",
            valueName: "URL"))
    public var state: String?

    public init() {}

    /// The state location: `--state`, else `CONNSYNC_STATE`, else the default.
    public func location(environment: [String: String]) throws -> StateLocation {
        let text = state ?? environment["CONNSYNC_STATE"].flatMap { $0.isEmpty ? nil : $0 } ?? StateLocation.defaultValue
        return try StateLocation(parsing: text)
    }
}

/// How long to wait for the state lock (commands that take it, and `plan`, which CI
/// pipelines call with the same flags as `apply`).
public struct LockTimeoutOptions: ParsableArguments {
    @Option(name: .customLong("lock-timeout"), help: ArgumentHelp("How long to wait for the state lock (e.g. 30s, 2m).", valueName: "DURATION"))
    public var lockTimeout: String = "30s"

    public init() {}

    public mutating func validate() throws {
        try checkDuration(lockTimeout, flag: "--lock-timeout", examples: "30s, 2m or 500ms", positive: false)
    }

    public var duration: Duration {
        DurationText.parse(lockTimeout) ?? .seconds(30)
    }
}

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
    case markdown
}

/// How plans and results are shown.
public struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json or markdown.")
    public var format: OutputFormat = .text

    @Flag(name: .long, help: "Same as --format json.")
    public var json = false

    @Flag(name: .customLong("no-color"), help: "No colour (also: the NO_COLOR environment variable, or stdout not a terminal).")
    public var noColor = false

    public init() {}

    public var effectiveFormat: OutputFormat {
        json ? .json : format
    }
}

/// What plan and apply share.
public struct PlanOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Limit to this connection (repeatable).", valueName: "PROVIDER/NAME"))
    public var target: [String] = []

    @Option(name: .long, help: "Most requests in flight overall.")
    public var parallelism: Int = 64

    @Flag(name: .customLong("allow-plaintext-secrets"), help: "Accept literal values in secret fields.")
    public var allowPlaintextSecrets = false

    public init() {}

    public mutating func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        for text in target where Address(parsing: text) == nil {
            throw ValidationError("--target takes PROVIDER/NAME (got '\(text)')")
        }
    }

    public var targets: [Address] {
        target.compactMap(Address.init(parsing:))
    }
}

/// What a run trusts (cli.md v1.1, "Trust"): Providers only as a reviewed source has them,
/// requests only to allowed hosts.
public struct TrustOptions: ParsableArguments {
    @Option(
        name: .customLong("trusted-ref"),
        help: ArgumentHelp(
            "With --repo: refuse (send nothing to) any Provider that is new or differs from the one at REF (env CONNSYNC_TRUSTED_REF).",
            valueName: "REF"))
    public var trustedRef: String?

    @Option(
        name: .customLong("trusted-dir"),
        help: ArgumentHelp("Refuse any Provider that is new or differs from the one in this folder.", valueName: "DIR"))
    public var trustedDir: String?

    @Option(
        name: .customLong("allow-host"),
        help: ArgumentHelp(
            "Send requests only to Providers whose baseURL host matches (repeatable; *.example.com, host:port; env CONNSYNC_ALLOW_HOSTS, comma-separated).",
            valueName: "PATTERN"))
    public var allowHost: [String] = []

    @Option(
        name: .customLong("request-timeout"),
        help: ArgumentHelp("The longest a vendor request may take, its whole answer included.", valueName: "DURATION"))
    public var requestTimeout: String = "60s"

    public init() {}

    public mutating func validate() throws {
        if trustedRef != nil, trustedDir != nil {
            throw ValidationError("--trusted-ref and --trusted-dir both name a trusted source; give one of them")
        }
        try checkDuration(requestTimeout, flag: "--request-timeout", examples: "60s or 2m")
    }

    public var requestTimeoutDuration: Duration {
        DurationText.parse(requestTimeout) ?? .seconds(60)
    }

    /// The options as a plain value (for closures that outlive the command).
    public var spec: TrustSpec {
        TrustSpec(trustedRef: trustedRef, trustedDir: trustedDir, allowHost: allowHost)
    }
}

/// What a run trusts, as a Sendable value.
public struct TrustSpec: Sendable, Hashable {
    public var trustedRef: String?
    public var trustedDir: String?
    public var allowHost: [String]
}

/// Checks a duration flag (`DurationText`: at most a year); the usage error names the flag.
func checkDuration(_ text: String, flag: String, examples: String, positive: Bool = true) throws {
    guard let duration = DurationText.parse(text), !positive || duration > .zero else {
        throw ValidationError("\(flag) takes a duration of at most a year, such as \(examples)")
    }
}
