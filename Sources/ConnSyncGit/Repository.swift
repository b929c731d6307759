import CLibGit2
import Foundation

/// A libgit2 repository handle: synchronous, not Sendable, freed on deinit. Only
/// Sendable values leave it.
final class Repository {
    let handle: OpaquePointer
    let display: String

    private init(handle: OpaquePointer, display: String) {
        self.handle = handle
        self.display = display
    }

    deinit {
        if let odbHandle { git_odb_free(odbHandle) }
        git_repository_free(handle)
    }

    private var odbHandle: OpaquePointer?

    /// The object database, opened on first use (to size blobs without reading them).
    var odb: OpaquePointer? {
        if odbHandle == nil { git_repository_odb(&odbHandle, handle) }
        return odbHandle
    }

    /// The last libgit2 error message (thread-local: read right after the failing call).
    static func lastError() -> String {
        guard let error = git_error_last(), let message = error.pointee.message else { return "unknown libgit2 error" }
        return String(cString: message)
    }

    static func lastErrorClass() -> Int32 {
        git_error_last()?.pointee.klass ?? 0
    }

    static func hex(_ oid: git_oid) -> String {
        var copy = oid
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, &copy)
        return String(cString: buffer)
    }

    static func open(_ path: String, display: String) throws(GitError) -> Repository {
        try libgit2.get()
        var handle: OpaquePointer?
        let result = git_repository_open_ext(&handle, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil)
        guard result == 0, let handle else {
            if result == GIT_ENOTFOUND.rawValue { throw .notARepository(display) }
            throw .other(repository: display, message: lastError())
        }
        return Repository(handle: handle, display: display)
    }

    // MARK: clone and fetch

    /// Clones `url` (bare) into `folder`, or fetches into the existing clone there.
    static func cloneOrFetch(url: String, into folder: String, display: String, credentials: GitCredentials) throws(GitError) -> Repository {
        try libgit2.get()
        let box = CredentialBox(credentials: credentials)
        let payload = Unmanaged.passRetained(box)
        defer { payload.release() }
        if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("HEAD")) {
            let repository = try open(folder, display: display)
            try repository.fetch(payload: payload.toOpaque(), box: box)
            return repository
        }
        try? FileManager.default.removeItem(atPath: folder)
        var options = git_clone_options()
        git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION))
        options.bare = 1
        options.fetch_opts.callbacks.credentials = credentialCallback
        options.fetch_opts.callbacks.payload = payload.toOpaque()
        options.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        var handle: OpaquePointer?
        let result = git_clone(&handle, url, folder, &options)
        guard result == 0, let handle else {
            let error = classify(result, display: display, box: box)
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        return Repository(handle: handle, display: display)
    }

    private func fetch(payload: UnsafeMutableRawPointer, box: CredentialBox) throws(GitError) {
        var remote: OpaquePointer?
        guard git_remote_lookup(&remote, handle, "origin") == 0, let remote else {
            throw .other(repository: display, message: "the cached clone has no origin remote: \(Self.lastError())")
        }
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.callbacks.credentials = credentialCallback
        options.callbacks.payload = payload
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        options.prune = GIT_FETCH_PRUNE
        let result = git_remote_fetch(remote, nil, &options, "connsync fetch")
        guard result == 0 else { throw Self.classify(result, display: display, box: box) }
    }

    static func classify(_ code: Int32, display: String, box: CredentialBox) -> GitError {
        let message = lastError()
        let errorClass = lastErrorClass()
        if code == GIT_EAUTH.rawValue || box.attempts > 1 || message.localizedCaseInsensitiveContains("authentication")
            || message.contains("401") || message.contains("403")
        {
            return .authenticationFailed(repository: display)
        }
        if errorClass == GIT_ERROR_NET.rawValue || errorClass == GIT_ERROR_HTTP.rawValue || errorClass == GIT_ERROR_SSH.rawValue
            || errorClass == GIT_ERROR_OS.rawValue || errorClass == GIT_ERROR_SSL.rawValue
        {
            return .networkFailure(repository: display, message: scrub(message))
        }
        if code == GIT_ENOTFOUND.rawValue { return .notARepository(display) }
        return .networkFailure(repository: display, message: scrub(message))
    }

    /// libgit2 messages may quote the URL: never with credentials.
    static func scrub(_ message: String) -> String {
        message.replacingOccurrences(of: "://[^/@\\s]+@", with: "://", options: .regularExpression)
    }

    // MARK: refs

    /// The commit `ref` names. For clones of URLs (`remote`), a branch is read from
    /// `refs/remotes/origin/*` (fresh after the fetch). A short name that several references
    /// hold (a tag named like a branch) is an error unless they all point at one commit: a tag
    /// must never stand in for the branch a run trusts.
    func resolve(_ ref: String, remote: Bool) throws(GitError) -> String {
        if ref.hasPrefix("refs/") {
            guard let commit = lookup(ref) else { throw .unknownRef(repository: display, ref: ref) }
            return commit
        }
        var names: [String] = []
        if remote {
            if ref == "HEAD" {
                names.append("refs/remotes/origin/\(defaultBranch())")
            } else {
                names.append("refs/remotes/origin/\(ref.hasPrefix("origin/") ? String(ref.dropFirst(7)) : ref)")
            }
        }
        if ref != "HEAD" { names += ["refs/heads/\(ref)", "refs/tags/\(ref)", "refs/remotes/\(ref)"] }
        var found: [(name: String, commit: String)] = []
        for name in names where !found.contains(where: { $0.name == name }) {
            if let commit = lookup(name) { found.append((name, commit)) }
        }
        if let first = found.first {
            let others = found.filter { $0.commit != first.commit }
            // A clone's own remote-tracking branch wins over what else the cache holds.
            guard others.isEmpty || (remote && first.name.hasPrefix("refs/remotes/origin/") && !others.contains { $0.name.hasPrefix("refs/tags/") })
            else {
                throw .ambiguousRef(repository: display, ref: ref, names: found.map(\.name))
            }
            return first.commit
        }
        // Commit ids and expressions (HEAD, HEAD~1, a short id).
        var object: OpaquePointer?
        guard git_revparse_single(&object, handle, ref) == 0, let object else { throw .unknownRef(repository: display, ref: ref) }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        guard git_object_peel(&commit, object, GIT_OBJECT_COMMIT) == 0, let commit else { throw .unknownRef(repository: display, ref: ref) }
        defer { git_object_free(commit) }
        return Self.hex(git_object_id(commit).pointee)
    }

    /// The commit a full reference name points at, peeled; nil when there is none.
    private func lookup(_ name: String) -> String? {
        var reference: OpaquePointer?
        guard git_reference_lookup(&reference, handle, name) == 0, let reference else { return nil }
        defer { git_reference_free(reference) }
        var object: OpaquePointer?
        guard git_reference_peel(&object, reference, GIT_OBJECT_COMMIT) == 0, let object else { return nil }
        defer { git_object_free(object) }
        return Self.hex(git_object_id(object).pointee)
    }

    /// The branch HEAD points at (`main`), for `--ref HEAD` on a clone.
    func defaultBranch() -> String {
        var reference: OpaquePointer?
        guard git_reference_lookup(&reference, handle, "HEAD") == 0, let reference else { return "main" }
        defer { git_reference_free(reference) }
        guard let target = git_reference_symbolic_target(reference) else { return "main" }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
    }

    // MARK: trees and blobs

    func commitTree(_ commitID: String) throws(GitError) -> OpaquePointer {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, commitID) == 0 else { throw .other(repository: display, message: "invalid commit id") }
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, handle, &oid) == 0, let commit else {
            throw .other(repository: display, message: "commit \(commitID.prefix(7)) is missing: \(Self.lastError())")
        }
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        guard git_commit_tree(&tree, commit) == 0, let tree else {
            throw .other(repository: display, message: Self.lastError())
        }
        return tree
    }

    func files(commit commitID: String, under path: String, suffixes: [String], ref: String, maximumTotal: Int = .max) throws(GitError) -> [GitFile] {
        let root = try commitTree(commitID)
        defer { git_tree_free(root) }
        let folder = path.split(separator: "/").joined(separator: "/")
        var start = root
        var owned: OpaquePointer?
        if !folder.isEmpty {
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, root, folder) == 0, let entry else {
                throw .missingPath(repository: display, ref: ref, path: folder)
            }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else {
                throw .notAFolder(repository: display, ref: ref, path: folder)
            }
            var subtree: OpaquePointer?
            guard git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)) == 0, let subtree else {
                throw .other(repository: display, message: Self.lastError())
            }
            owned = subtree
            start = subtree
        }
        defer { if let owned { git_tree_free(owned) } }
        var result: [GitFile] = []
        var budget = maximumTotal
        try walk(start, commit: commitID, prefix: folder, suffixes: suffixes, budget: &budget, into: &result)
        return result.sorted { $0.path < $1.path }
    }

    /// One pass over the tree: entries by index belong to their tree (not freed here).
    private func spend(_ bytes: Int, from budget: inout Int) throws(GitError) {
        budget -= bytes
        guard budget >= 0 else { throw .other(repository: display, message: "the YAML files are larger than the desired state may be; list what is not desired state in .connsyncignore") }
    }

    private func blobSize(_ id: UnsafePointer<git_oid>?) throws(GitError) -> Int {
        var size = 0
        var type = GIT_OBJECT_INVALID
        guard let database = odb, git_odb_read_header(&size, &type, database, id) == 0 else { return 0 }
        return size
    }

    /// Desired-state files larger than this are refused (every read is bounded).
    static let maximumFileSize = 64 << 20

    private func walk(
        _ tree: OpaquePointer, commit commitID: String, prefix: String, suffixes: [String], budget: inout Int, into result: inout [GitFile]
    ) throws(GitError) {
        let count = git_tree_entrycount(tree)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index), let rawName = git_tree_entry_name(entry) else { continue }
            let name = String(cString: rawName)
            if name.hasPrefix(".") { continue }
            let path = prefix.isEmpty ? name : "\(prefix)/\(name)"
            let type = git_tree_entry_type(entry)
            if git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK {
                // A symlinked YAML file is read where it leads, when that is inside the tree.
                guard suffixes.contains(where: { name.hasSuffix($0) }) else { continue }
                guard case .file(_, let contents) = try resolve(path, commit: commitID, maximumSize: Self.maximumFileSize) else {
                    throw .other(repository: display, message: "\(path) is a symlink that leads outside the repository (or nowhere); refused")
                }
                try spend(contents.count, from: &budget)
                result.append(GitFile(path: path, contents: contents))
            } else if type == GIT_OBJECT_TREE {
                var subtree: OpaquePointer?
                guard git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)) == 0, let subtree else { continue }
                defer { git_tree_free(subtree) }
                try walk(subtree, commit: commitID, prefix: path, suffixes: suffixes, budget: &budget, into: &result)
            } else if type == GIT_OBJECT_BLOB, suffixes.contains(where: { name.hasSuffix($0) }) {
                // Sized before it is read: a small compressed blob can be huge (a decompression bomb).
                try spend(try blobSize(git_tree_entry_id(entry)), from: &budget)
                result.append(GitFile(path: path, contents: try blobData(git_tree_entry_id(entry), maximumSize: Self.maximumFileSize)))
            }
        }
    }

    func blob(commit commitID: String, path: String) throws(GitError) -> Data {
        let tree = try commitTree(commitID)
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0, let entry else {
            throw .missingFile(repository: display, commit: commitID, path: path)
        }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
            throw .missingFile(repository: display, commit: commitID, path: path)
        }
        return try blobData(git_tree_entry_id(entry), maximumSize: Self.maximumFileSize)
    }
}

// MARK: - credentials

/// What the C credential callback reads through its payload pointer.
final class CredentialBox {
    let credentials: GitCredentials
    var attempts = 0

    init(credentials: GitCredentials) {
        self.credentials = credentials
    }
}

/// libgit2's credential callback: token or user/password for https, key file or agent for
/// ssh. A second call for the same operation means the first was refused: give up.
private let credentialCallback: git_credential_acquire_cb = { output, url, usernameFromURL, allowedTypes, payload in
    guard let output, let payload else { return GIT_PASSTHROUGH.rawValue }
    let box = Unmanaged<CredentialBox>.fromOpaque(payload).takeUnretainedValue()
    box.attempts += 1
    guard box.attempts <= 1 else { return GIT_EAUTH.rawValue }
    let credentials = box.credentials
    let urlUser = usernameFromURL.map { String(cString: $0) }
    if allowedTypes & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
        let user = urlUser ?? credentials.username ?? "git"
        if let key = credentials.sshKeyPath {
            return git_credential_ssh_key_new(output, user, nil, key, credentials.sshPassphrase)
        }
        return git_credential_ssh_key_from_agent(output, user)
    }
    if allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
        if let token = credentials.token {
            return git_credential_userpass_plaintext_new(output, credentials.username ?? urlUser ?? "x-access-token", token)
        }
        if let user = credentials.username ?? urlUser, let password = credentials.password {
            return git_credential_userpass_plaintext_new(output, user, password)
        }
    }
    return GIT_PASSTHROUGH.rawValue
}
