/// Where a secret comes from, as written in the desired state.
///
/// The source itself is not secret (a variable name, a file path) and may be
/// shown in messages; only the resolved value is.
public enum SecretSource: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `{fromEnv: NAME}`
    case environment(String)
    /// `{fromFile: PATH}`; a relative path is relative to the folder of the
    /// document that names it (inside the commit, for a git source).
    case file(String)
    /// `{fromCommand: [ARGV...]}`: the standard output of ARGV, run without a shell (only
    /// with `--allow-secret-commands`).
    case command([String])
    /// A literal written in the YAML (accepted only with `--allow-plaintext-secrets`).
    case literal

    public var description: String {
        switch self {
        case .environment(let name): return "fromEnv: \(name)"
        case .file(let path): return "fromFile: \(path)"
        // The program only: an argument may carry a credential (`--token=...`).
        case .command(let argv): return "fromCommand: [\(argv.first ?? "")\(argv.count > 1 ? ", ..." : "")]"
        case .literal: return "literal value"
        }
    }
}

/// A secret field of the desired state: its source and, once resolved, its value.
///
/// `value == nil` means the reference was checked for form only (as
/// `connsync validate` does without `--resolve-secrets`); such a secret can be
/// shown and diffed as `(sensitive)` but never sent.
public struct Secret: Sendable, Hashable, CustomStringConvertible {
    public var source: SecretSource
    public var value: Sensitive<String>?

    public init(source: SecretSource, value: Sensitive<String>? = nil) {
        self.source = source
        self.value = value
    }

    /// A resolved secret from a literal, for tests and programmatic use.
    public static func resolved(_ value: String, source: SecretSource = .literal) -> Secret {
        Secret(source: source, value: Sensitive(value))
    }

    public var isResolved: Bool { value != nil }

    public var description: String { Sensitive<String>.mask }
}
