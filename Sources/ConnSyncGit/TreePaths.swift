import CLibGit2
import Foundation

/// Where a path inside a commit's tree leads once the symlinks stored in the tree are
/// followed (config-format v1.1: a `fromFile` must stay inside the tree).
public enum TreePath: Sendable, Hashable {
    /// A file of the tree, by its symlink-free path from the repository root, and its bytes.
    case file(path: String, contents: Data)
    /// A symlink in the tree leads to this absolute path, outside the repository.
    case outside(String)
    /// `..` climbs above the repository root.
    case escapesTree
    /// Nothing there (or a symlink loop, or a folder where a file was expected).
    case missing
}

extension Repository {
    /// The most symlinks followed for one path (as Linux's `MAXSYMLINKS`).
    static let maximumSymlinkHops = 40

    /// Resolves `path` (from the repository root) in the tree of `commitID`, following symlinks
    /// stored in the tree; `maximumSize` bounds the bytes read.
    func resolve(_ path: String, commit commitID: String, maximumSize: Int) throws(GitError) -> TreePath {
        let root = try commitTree(commitID)
        defer { git_tree_free(root) }
        var pending = Self.components(path)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                guard !resolved.isEmpty else { return .escapesTree }
                resolved.removeLast()
                continue
            }
            let candidate = resolved + [part]
            var entry: OpaquePointer?
            // `resolved` holds no symlink, so a lookup by path is exact.
            guard git_tree_entry_bypath(&entry, root, candidate.joined(separator: "/")) == 0, let entry else { return .missing }
            defer { git_tree_entry_free(entry) }
            let mode = git_tree_entry_filemode(entry)
            if mode == GIT_FILEMODE_LINK {
                hops += 1
                guard hops <= Self.maximumSymlinkHops else { return .missing }
                let target = String(decoding: try blobData(git_tree_entry_id(entry), maximumSize: 4096), as: UTF8.self)
                if target.hasPrefix("/") {
                    return .outside(([target] + pending).joined(separator: "/"))
                }
                pending = Self.components(target) + pending
            } else if mode == GIT_FILEMODE_TREE {
                resolved = candidate
            } else if mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE {
                guard pending.allSatisfy({ $0 == "." || $0.isEmpty }) else { return .missing }
                return .file(path: candidate.joined(separator: "/"), contents: try blobData(git_tree_entry_id(entry), maximumSize: maximumSize))
            } else {
                return .missing
            }
        }
        return .missing
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// A blob's bytes, refusing one larger than `maximumSize`.
    func blobData(_ id: UnsafePointer<git_oid>?, maximumSize: Int) throws(GitError) -> Data {
        var blob: OpaquePointer?
        guard git_blob_lookup(&blob, handle, id) == 0, let blob else {
            throw .other(repository: display, message: Self.lastError())
        }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size <= maximumSize else {
            throw .other(repository: display, message: "a file is larger than \(maximumSize >> 10) KiB; refused")
        }
        guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: bytes, count: size)
    }
}

extension GitSnapshot {
    /// Resolves `path` (from the repository root) in this commit's tree, following the tree's symlinks.
    public func resolve(_ path: String, maximumSize: Int) throws(GitError) -> TreePath {
        let repository = try Repository.open(localPath, display: repositoryDisplay)
        return try repository.resolve(path, commit: commitID, maximumSize: maximumSize)
    }
}
