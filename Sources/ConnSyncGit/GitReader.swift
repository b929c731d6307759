import CLibGit2
import Foundation

/// libgit2, opened (dlopen) and initialised once per process, on first use: a lazily
/// initialised, immutable global. Every entry point of this module that calls libgit2 asks it
/// first.
let libgit2: Result<Void, GitError> = {
    if let reason = connsync_libgit2_load() { return .failure(.libraryMissing(String(cString: reason))) }
    git_libgit2_init()
    return .success(())
}()

/// Credentials for remote repositories, injected (the library never reads the environment).
public struct GitCredentials: Sendable, Hashable {
    /// HTTPS token (`CONNSYNC_GIT_TOKEN`), sent as the password with user `x-access-token`.
    public var token: String?
    public var username: String?
    public var password: String?
    /// SSH private key file (`--ssh-key`); without it the SSH agent is asked.
    public var sshKeyPath: String?
    public var sshPassphrase: String?

    public init(token: String? = nil, username: String? = nil, password: String? = nil, sshKeyPath: String? = nil, sshPassphrase: String? = nil) {
        self.token = token
        self.username = username
        self.password = password
        self.sshKeyPath = sshKeyPath
        self.sshPassphrase = sshPassphrase
    }

    /// `CONNSYNC_GIT_TOKEN`, or `CONNSYNC_GIT_USERNAME` + `CONNSYNC_GIT_PASSWORD`;
    /// `CONNSYNC_GIT_SSH_PASSPHRASE` for a key file.
    public static func fromEnvironment(_ environment: [String: String], sshKeyPath: String?) -> GitCredentials {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return GitCredentials(
            token: value("CONNSYNC_GIT_TOKEN"), username: value("CONNSYNC_GIT_USERNAME"), password: value("CONNSYNC_GIT_PASSWORD"),
            sshKeyPath: sshKeyPath, sshPassphrase: value("CONNSYNC_GIT_SSH_PASSPHRASE"))
    }
}

/// Why a repository could not be read. Every message names the repository (credentials
/// stripped), and the ref and path where they matter, and says what to do.
public enum GitError: Error, Sendable, Hashable, CustomStringConvertible {
    case notARepository(String)
    case unknownRef(repository: String, ref: String)
    case ambiguousRef(repository: String, ref: String, names: [String])
    case missingPath(repository: String, ref: String, path: String)
    case notAFolder(repository: String, ref: String, path: String)
    case authenticationFailed(repository: String)
    case networkFailure(repository: String, message: String)
    case missingFile(repository: String, commit: String, path: String)
    case cache(String)
    /// libgit2 could not be opened (not installed, or another version): the reason.
    case libraryMissing(String)
    case other(repository: String, message: String)

    public var description: String {
        switch self {
        case .notARepository(let path):
            return "\(path) is not a git repository (check --repo: a repository folder, a bare repository, or a URL)"
        case .unknownRef(let repository, let ref):
            return "unknown ref '\(ref)' in \(repository): check the branch, tag or commit name (remote branches are fetched on every run)"
        case .ambiguousRef(let repository, let ref, let names):
            return "ref '\(ref)' is ambiguous in \(repository): \(names.joined(separator: ", ")) point at different commits; "
                + "give the full name (e.g. \(names[0])) or a commit id"
        case .missingPath(let repository, let ref, let path):
            return "no folder '\(path)' in \(repository) at \(ref): check --path"
        case .notAFolder(let repository, let ref, let path):
            return "'\(path)' in \(repository) at \(ref) is a file, not a folder: --path names the folder that holds the YAML files"
        case .authenticationFailed(let repository):
            return "authentication to \(repository) was refused: set CONNSYNC_GIT_TOKEN (or CONNSYNC_GIT_USERNAME and CONNSYNC_GIT_PASSWORD) for https, or use --ssh-key / the SSH agent for ssh"
        case .networkFailure(let repository, let message):
            return "cannot reach \(repository): \(message) (check the URL and the network)"
        case .missingFile(let repository, let commit, let path):
            return "no file '\(path)' in \(repository) at \(commit.prefix(7))"
        case .cache(let message):
            return "git cache: \(message) (check $CONNSYNC_CACHE)"
        case .libraryMissing(let reason):
            return "libgit2 could not be loaded (\(reason)): reading desired state from git needs \(String(cString: connsync_libgit2_soname())), "
                + "which Debian's libgit2-dev installs"
        case .other(let repository, let message):
            return "\(repository): \(message)"
        }
    }
}

/// One file read from a commit.
public struct GitFile: Sendable, Hashable {
    /// From the repository root, `/`-separated.
    public var path: String
    public var contents: Data
}

/// A resolved commit of a repository, ready to read from.
public struct GitSnapshot: Sendable, Hashable {
    /// The repository as shown to users (credentials stripped).
    public let repositoryDisplay: String
    public let ref: String
    /// 40 hex digits.
    public let commitID: String
    /// The local repository (the given path, or the cache folder of a URL).
    let localPath: String

    public var shortCommitID: String { String(commitID.prefix(7)) }

    /// Every blob under `path` (`""` = root) whose name ends with one of `suffixes`, recursively,
    /// skipping entries whose name starts with `.`; paths from the repository root, sorted.
    /// More than `maximumTotal` bytes of them is an error, found before they are read.
    public func files(under path: String, suffixes: [String], maximumTotal: Int = .max) throws(GitError) -> [GitFile] {
        let repository = try Repository.open(localPath, display: repositoryDisplay)
        return try repository.files(commit: commitID, under: path, suffixes: suffixes, ref: ref, maximumTotal: maximumTotal)
    }

    /// One blob by its path from the repository root.
    public func readFile(_ path: String) throws(GitError) -> Data {
        let repository = try Repository.open(localPath, display: repositoryDisplay)
        return try repository.blob(commit: commitID, path: path)
    }
}

/// Opens repositories: local paths as they are, URLs through a clone in the cache
/// (cloned once, fetched on later runs, under a file lock so concurrent runs do not
/// corrupt it).
public struct GitReader: Sendable {
    public let cacheDirectory: String
    public let credentials: GitCredentials

    public init(cacheDirectory: String, credentials: GitCredentials) {
        self.cacheDirectory = cacheDirectory
        self.credentials = credentials
    }

    /// Whether `text` is a URL rather than a local path.
    public static func isURL(_ text: String) -> Bool {
        ["file://", "https://", "http://", "ssh://", "git://"].contains { text.hasPrefix($0) } || text.range(of: "^[^/]+@[^/:]+:", options: .regularExpression) != nil
    }

    /// The repository as it may be shown: user info removed from URLs.
    public static func display(_ repository: String) -> String {
        guard isURL(repository), var components = URLComponents(string: repository) else { return repository }
        components.user = nil
        components.password = nil
        return components.string ?? repository
    }

    /// Resolves `ref` in `repository` (a local path, bare or not, or a URL).
    public func snapshot(repository: String, ref: String) throws(GitError) -> GitSnapshot {
        try libgit2.get()
        let display = Self.display(repository)
        if Self.isURL(repository) {
            let folder = cacheFolder(for: repository)
            return try withCacheLock(folder) { () throws(GitError) -> GitSnapshot in
                let repo = try Repository.cloneOrFetch(url: repository, into: folder, display: display, credentials: credentials)
                let commit = try repo.resolve(ref, remote: true)
                return GitSnapshot(repositoryDisplay: display, ref: ref, commitID: commit, localPath: folder)
            }
        }
        let repo = try Repository.open(repository, display: display)
        let commit = try repo.resolve(ref, remote: false)
        return GitSnapshot(repositoryDisplay: display, ref: ref, commitID: commit, localPath: repository)
    }

    /// `<cache>/<hash of the URL without credentials>`.
    func cacheFolder(for url: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Self.display(url).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return (cacheDirectory as NSString).appendingPathComponent(String(format: "%016llx", hash))
    }

    /// Runs `body` holding an exclusive `flock` on the cache folder's lock file.
    func withCacheLock<T>(_ folder: String, _ body: () throws(GitError) -> T) throws(GitError) -> T {
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw .cache("cannot create \(cacheDirectory)")
        }
        let lockPath = folder + ".lock"
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw .cache("cannot open \(lockPath)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw .cache("cannot lock \(lockPath)") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// For `--dir` inside a git work tree: the HEAD commit and whether there are uncommitted
/// changes (tracked or untracked, ignored files excepted). nil outside a work tree.
public func gitWorkTreeStatus(containing directory: String) -> (commitID: String, isDirty: Bool)? {
    // Outside any work tree libgit2 is not even started: its start-up loads the system's CA
    // bundle, which costs more than a `stat` per parent folder.
    guard hasGitEntry(above: directory) else { return nil }
    guard case .success = libgit2 else { return nil }
    var handle: OpaquePointer?
    guard git_repository_open_ext(&handle, directory, 0, nil) == 0, let repository = handle else { return nil }
    defer { git_repository_free(repository) }
    guard git_repository_is_bare(repository) == 0 else { return nil }
    var head = git_oid()
    guard git_reference_name_to_id(&head, repository, "HEAD") == 0 else { return nil }
    var options = git_status_options()
    git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION))
    options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
    var list: OpaquePointer?
    var dirty = false
    if git_status_list_new(&list, repository, &options) == 0, let list {
        dirty = git_status_list_entrycount(list) > 0
        git_status_list_free(list)
    }
    return (Repository.hex(head), dirty)
}

/// Whether `directory` or a folder above it holds a `.git` (a folder, or the file of a
/// linked work tree), as written or with its symlinks resolved.
func hasGitEntry(above directory: String) -> Bool {
    let lexical = URL(fileURLWithPath: directory).standardizedFileURL
    return hasGitEntry(from: lexical) || hasGitEntry(from: lexical.resolvingSymlinksInPath())
}

private func hasGitEntry(from start: URL) -> Bool {
    var folder = start
    for _ in 0..<256 {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(".git").path) { return true }
        let parent = folder.deletingLastPathComponent()
        if parent.path == folder.path { return false }
        folder = parent
    }
    return false
}
