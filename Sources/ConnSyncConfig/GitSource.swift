import ConnSyncGit
import ConnSyncModel
import Foundation

/// Desired state read straight from the tree of one commit (`--repo/--ref/--path`), without
/// a checkout. Error locations read `path/in/repo.yaml@<short commit>:line:col`.
public struct GitSource: DesiredStateSource {
    public let snapshot: GitSnapshot
    public let path: String
    public let info: SourceInfo
    private let files: [SourceFile]

    /// Resolves the commit and reads every YAML file under `path` in one pass over its tree.
    public static func open(
        repository: String, ref: String, path: String, cacheDirectory: String, credentials: GitCredentials
    ) throws(SourceError) -> GitSource {
        do {
            let reader = GitReader(cacheDirectory: cacheDirectory, credentials: credentials)
            let snapshot = try reader.snapshot(repository: repository, ref: ref)
            let folder = path.split(separator: "/").joined(separator: "/")
            let ignorePath = folder.isEmpty ? IgnoreRules.fileName : "\(folder)/\(IgnoreRules.fileName)"
            let rules = (try? snapshot.readFile(ignorePath)).map { IgnoreRules(text: String(decoding: $0, as: UTF8.self)) } ?? IgnoreRules()
            let found = try snapshot.files(under: folder, suffixes: [".yaml", ".yml"], maximumTotal: SourceLimits.maximumTotalBytes)
            let files = found.compactMap { file -> SourceFile? in
                let relative = folder.isEmpty ? file.path : String(file.path.dropFirst(folder.count + 1))
                guard !rules.ignores(relative) else { return nil }
                return SourceFile(path: relative, displayPath: "\(file.path)@\(snapshot.shortCommitID)", contents: file.contents)
            }
            let info = SourceInfo(
                kind: .git, location: snapshot.repositoryDisplay, ref: ref, commit: snapshot.commitID, path: folder.isEmpty ? nil : folder)
            return GitSource(snapshot: snapshot, path: folder, info: info, files: files)
        } catch {
            throw .git(error.description)
        }
    }

    public func yamlFiles() throws(SourceError) -> [SourceFile] {
        files
    }

    /// Resolves `relative` against the folder of `file` in the same commit, following the
    /// tree's symlinks: a file of the tree is read from it; a symlink to an absolute path (or an
    /// absolute reference) leads outside, where only a secrets folder may be read.
    public func locateSecretFile(_ relative: String, from file: SourceFile) throws(SourceError) -> SecretFileLocation {
        if relative.hasPrefix("/") {
            return .outside(FileSystem.realPath(relative) ?? URL(fileURLWithPath: relative).standardizedFileURL.path)
        }
        var components = (path.isEmpty ? [] : path.split(separator: "/").map(String.init))
        components += file.path.split(separator: "/").dropLast().map(String.init)
        let full = (components + [relative]).joined(separator: "/")
        let shown = "\(relative)@\(snapshot.shortCommitID)"
        let resolved: TreePath
        do {
            resolved = try snapshot.resolve(full, maximumSize: FileSystem.maximumSecretSize)
        } catch {
            throw .unreadable(path: shown, reason: error.description)
        }
        switch resolved {
        case .file(_, let contents):
            return .inSource(contents)
        case .outside(let target):
            return .outside(FileSystem.realPath(target) ?? URL(fileURLWithPath: target).standardizedFileURL.path)
        case .escapesTree:
            throw .outsideSource(shown)
        case .missing:
            throw .unreadable(path: shown, reason: "no such file at this commit")
        }
    }
}
