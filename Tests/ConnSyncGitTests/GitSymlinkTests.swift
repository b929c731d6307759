import ConnSyncConfig
import ConnSyncGit
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// Symlinks stored in a commit's tree: `fromFile` follows them inside the tree only
/// (config-format v1.1), and a symlinked YAML file is read where it leads, inside the tree.
@Suite("Git symlinks")
struct GitSymlinkTests {
    /// A repository whose `config/` holds one Database per reference, and the links to test.
    static func repository(_ directory: TemporaryDirectory, references: [String: String], links: [String: String]) async throws -> String {
        let path = directory.url.appendingPathComponent("work").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: path)
        try directory.write("in-tree-secret\n", to: "work/secrets/real.txt")
        for (name, reference) in references {
            try directory.write(
                "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: \(name)}\nspec:\n  password: {fromFile: \(reference)}\n",
                to: "work/config/\(name).yaml")
        }
        for (link, target) in links {
            let at = path + "/" + link
            try FileManager.default.createDirectory(atPath: (at as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: at, withDestinationPath: target)
        }
        try await git(["add", "-A"], in: path)
        try await git(["commit", "-q", "-m", "links"], in: path)
        return path
    }

    func load(_ repository: String, cache: TemporaryDirectory, secretsDirectories: [String] = []) throws -> LoadResult {
        let source = try GitSource.open(
            repository: repository, ref: "HEAD", path: "config", cacheDirectory: cache.path + "/repos", credentials: GitCredentials())
        return DesiredStateLoader(
            options: LoadOptions(resolveSecrets: true),
            resolver: StandardSecretResolver(
                environment: [:], secretsDirectories: StandardSecretResolver.defaultSecretsDirectories + secretsDirectories)
        , vendors: VendorRegistry.standard.catalog).load(from: source)
    }

    @Test func aLinkInsideTheTreeIsFollowedAndOneLeadingOutIsRefused() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-gitlink")
        defer { directory.remove() }
        try directory.write("outside-secret-value\n", to: "outside/token")
        let repository = try await Self.repository(
            directory,
            references: ["inside": "../secrets/link.txt", "absolute": "../secrets/abs.txt", "climbing": "../../../outside/token"],
            links: ["secrets/link.txt": "real.txt", "secrets/abs.txt": directory.path + "/outside/token"])
        let result = try load(repository, cache: directory)
        let byDocument = Dictionary(grouping: result.errors, by: { $0.document?.name ?? "" })
        #expect(Set(byDocument.keys) == ["absolute", "climbing"])
        for error in result.errors {
            #expect(error.message.contains("outside the source"), "\(error)")
            #expect(!error.description.contains("outside-secret-value"))
        }
        // The same link is read once its folder is a secrets folder; the in-tree link always.
        let allowed = try load(repository, cache: directory, secretsDirectories: [directory.path + "/outside"])
        #expect(allowed.errors.map { $0.document?.name } == ["climbing"])
    }

    @Test func aSymlinkedYAMLFileIsReadInsideTheTreeAndRefusedOutside() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-gitlink")
        defer { directory.remove() }
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: shared}\nspec: {port: 5}\n", to: "work/shared/db.yaml")
        let inside = try await Self.repository(directory, references: [:], links: ["config/linked.yaml": "../shared/db.yaml"])
        let state = try #require(try load(inside, cache: directory).state)
        #expect(state.databases.map(\.name) == ["shared"])

        let other = try TemporaryDirectory(prefix: "connsync-gitlink")
        defer { other.remove() }
        let outside = try await Self.repository(other, references: [:], links: ["config/evil.yaml": "/etc/hostname"])
        #expect(throws: SourceError.self) { try load(outside, cache: other) }
    }

    @Test func aTagCannotStandInForTheBranchItIsNamedLike() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-gitref")
        defer { directory.remove() }
        let path = try await Self.repository(directory, references: [:], links: [:])
        let main = try await git(["rev-parse", "HEAD"], in: path)
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: pr}\nspec: {port: 1}\n", to: "work/config/pr.yaml")
        try await git(["add", "-A"], in: path)
        try await git(["commit", "-q", "-m", "pr"], in: path)
        let pr = try await git(["rev-parse", "HEAD"], in: path)
        try await git(["reset", "-q", "--hard", main], in: path)
        try await git(["tag", "main", pr], in: path)
        let reader = GitReader(cacheDirectory: directory.path + "/cache", credentials: GitCredentials())
        #expect(throws: GitError.ambiguousRef(repository: path, ref: "main", names: ["refs/heads/main", "refs/tags/main"])) {
            try reader.snapshot(repository: path, ref: "main")
        }
        #expect(try reader.snapshot(repository: path, ref: "refs/heads/main").commitID == main)
        // Names that point at one commit are not ambiguous.
        try await git(["tag", "-f", "main", main], in: path)
        #expect(try reader.snapshot(repository: path, ref: "main").commitID == main)
    }

    @Test func theYAMLOfACommitIsSizedBeforeItIsRead() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-gitsize")
        defer { directory.remove() }
        let path = try await Self.repository(directory, references: ["a": "x"], links: [:])
        let reader = GitReader(cacheDirectory: directory.path + "/cache", credentials: GitCredentials())
        let snapshot = try reader.snapshot(repository: path, ref: "HEAD")
        #expect(try snapshot.files(under: "config", suffixes: [".yaml"]).count == 1)
        #expect(throws: GitError.self) { try snapshot.files(under: "config", suffixes: [".yaml"], maximumTotal: 10) }
    }
}
