import ConnSyncConfig
import ConnSyncGit
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// A real repository with several commits, branches and tags, built with the git CLI.
struct FixtureRepository {
    let directory: TemporaryDirectory
    var path: String { directory.url.appendingPathComponent("work").path }
    /// Commit ids by label: first, second, feature.
    var commits: [String: String] = [:]

    static func make() async throws -> FixtureRepository {
        let directory = try TemporaryDirectory(prefix: "connsync-git")
        var fixture = FixtureRepository(directory: directory)
        let path = fixture.path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: path)
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: first}\nspec: {port: 1}\n", to: "work/config/db.yaml")
        try directory.write("# notes\n", to: "work/README.md")
        try await git(["add", "-A"], in: path)
        try await git(["commit", "-q", "-m", "first"], in: path)
        fixture.commits["first"] = try await git(["rev-parse", "HEAD"], in: path)
        try await git(["tag", "v1"], in: path)
        try await git(["tag", "-a", "v1-annotated", "-m", "release"], in: path)

        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: second}\nspec: {port: 2}\n", to: "work/config/db.yaml")
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: nested}\nspec: {port: 3}\n", to: "work/config/sub/deep.yml")
        try directory.write("kind: Hidden\n", to: "work/config/.hidden.yaml")
        try directory.write("kind: Hidden\n", to: "work/config/.private/x.yaml")
        try directory.write("not yaml\n", to: "work/config/notes.txt")
        try await git(["add", "-A"], in: path)
        try await git(["commit", "-q", "-m", "second"], in: path)
        fixture.commits["second"] = try await git(["rev-parse", "HEAD"], in: path)

        try await git(["checkout", "-q", "-b", "feature"], in: path)
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: feature}\nspec: {port: 4}\n", to: "work/config/db.yaml")
        try await git(["commit", "-q", "-am", "feature"], in: path)
        fixture.commits["feature"] = try await git(["rev-parse", "HEAD"], in: path)
        try await git(["checkout", "-q", "main"], in: path)
        return fixture
    }

    /// A bare copy (`git clone --bare`) next to the work tree.
    func bare() async throws -> String {
        let bare = directory.url.appendingPathComponent("bare.git").path
        if !FileManager.default.fileExists(atPath: bare) {
            try await git(["clone", "-q", "--bare", path, bare], in: directory.path)
        }
        return bare
    }
}

func reader(_ cache: TemporaryDirectory, credentials: GitCredentials = GitCredentials()) -> GitReader {
    GitReader(cacheDirectory: cache.url.appendingPathComponent("repos").path, credentials: credentials)
}

func names(_ files: [GitFile]) -> [String] {
    files.map(\.path)
}

func text(_ files: [GitFile], _ path: String) -> String? {
    files.first { $0.path == path }.map { String(decoding: $0.contents, as: UTF8.self) }
}

@Suite("Git: local repositories")
struct LocalGitTests {
    @Test func readsEachRevisionWithoutACheckout() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let git = reader(cache)
        let cases: [(String, String, String)] = [
            ("HEAD", "second", "second"), ("main", "second", "second"), ("feature", "feature", "feature"), ("v1", "first", "first"),
            ("v1-annotated", "first", "first"), ("refs/heads/feature", "feature", "feature"),
            (repository.commits["first"]!, "first", "first"), (String(repository.commits["feature"]!.prefix(8)), "feature", "feature"),
        ]
        for (ref, commit, name) in cases {
            let snapshot = try git.snapshot(repository: repository.path, ref: ref)
            #expect(snapshot.commitID == repository.commits[commit], "\(ref)")
            #expect(snapshot.shortCommitID == String(repository.commits[commit]!.prefix(7)))
            let files = try snapshot.files(under: "config", suffixes: [".yaml", ".yml"])
            #expect(text(files, "config/db.yaml")?.contains("name: \(name)") == true, "\(ref)")
        }
        // The work tree is untouched (no checkout happened): it is still on main, clean.
        let status = try #require(gitWorkTreeStatus(containing: repository.path))
        #expect(status.commitID == repository.commits["second"])
        #expect(status.isDirty == false)
    }

    @Test func readsASubfolderRecursivelySkippingDotEntriesAndOtherFiles() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let snapshot = try reader(cache).snapshot(repository: repository.path, ref: "main")
        #expect(names(try snapshot.files(under: "config", suffixes: [".yaml", ".yml"])) == ["config/db.yaml", "config/sub/deep.yml"])
        #expect(names(try snapshot.files(under: "", suffixes: [".yaml", ".yml"])) == ["config/db.yaml", "config/sub/deep.yml"])
        #expect(names(try snapshot.files(under: "config/sub", suffixes: [".yml"])) == ["config/sub/deep.yml"])
        #expect(String(decoding: try snapshot.readFile("README.md"), as: UTF8.self) == "# notes\n")
    }

    @Test func readsABareRepository() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let bare = try await repository.bare()
        let snapshot = try reader(cache).snapshot(repository: bare, ref: "feature")
        #expect(snapshot.commitID == repository.commits["feature"])
        #expect(text(try snapshot.files(under: "config", suffixes: [".yaml"]), "config/db.yaml")?.contains("feature") == true)
        #expect(gitWorkTreeStatus(containing: bare) == nil)
    }

    @Test func errorsNameTheRepositoryRefAndPath() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let git = reader(cache)
        #expect(throws: GitError.unknownRef(repository: repository.path, ref: "nope")) {
            try git.snapshot(repository: repository.path, ref: "nope")
        }
        let snapshot = try git.snapshot(repository: repository.path, ref: "main")
        #expect(throws: GitError.missingPath(repository: repository.path, ref: "main", path: "missing/dir")) {
            try snapshot.files(under: "missing/dir", suffixes: [".yaml"])
        }
        #expect(throws: GitError.notAFolder(repository: repository.path, ref: "main", path: "README.md")) {
            try snapshot.files(under: "README.md", suffixes: [".yaml"])
        }
        let notRepository = cache.url.path
        #expect(throws: GitError.notARepository(notRepository)) { try git.snapshot(repository: notRepository, ref: "HEAD") }
        #expect(
            GitError.unknownRef(repository: "r", ref: "x").description
                == "unknown ref 'x' in r: check the branch, tag or commit name (remote branches are fetched on every run)")
    }

    @Test func workTreeStatusSeesUncommittedChanges() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        #expect(gitWorkTreeStatus(containing: repository.path + "/config")?.isDirty == false)
        try repository.directory.write("changed\n", to: "work/config/new.yaml")
        let status = try #require(gitWorkTreeStatus(containing: repository.path + "/config"))
        #expect(status.isDirty)
        #expect(status.commitID == repository.commits["second"])
        #expect(gitWorkTreeStatus(containing: FileManager.default.temporaryDirectory.path) == nil)
    }

    /// The early "no .git above it" answer must not miss a work tree reached through a
    /// symlink, nor a linked work tree (whose `.git` is a file).
    @Test func workTreeStatusFindsSymlinkedFoldersAndLinkedWorkTrees() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let outside = try TemporaryDirectory(prefix: "connsync-link")
        defer { outside.remove() }
        let link = outside.url.appendingPathComponent("config").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: repository.path + "/config")
        #expect(gitWorkTreeStatus(containing: link)?.commitID == repository.commits["second"])

        let linked = outside.url.appendingPathComponent("linked").path
        _ = try await git(["worktree", "add", "-q", linked, "feature"], in: repository.path)
        #expect(FileManager.default.fileExists(atPath: linked + "/.git"))
        #expect(gitWorkTreeStatus(containing: linked + "/config")?.commitID == repository.commits["feature"])
    }

    @Test func aGitSourceShowsPositionsAsPathAtShortCommit() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        try repository.directory.write(
            "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: bad}\nspec:\n  port: 70000\n", to: "work/config/bad.yaml")
        try await git(["add", "-A"], in: repository.path)
        try await git(["commit", "-q", "-m", "bad port"], in: repository.path)
        let commit = try await git(["rev-parse", "HEAD"], in: repository.path)
        let source = try GitSource.open(
            repository: repository.path, ref: "main", path: "config", cacheDirectory: cache.path, credentials: GitCredentials())
        #expect(source.info.commit == commit)
        #expect(source.info.kind == .git)
        #expect(source.info.path == "config")
        let result = DesiredStateLoader(options: LoadOptions(resolveSecrets: false), resolver: StandardSecretResolver(environment: [:]), vendors: VendorRegistry.standard.catalog)
            .load(from: source)
        #expect(result.errors.map(\.description) == ["config/bad.yaml@\(commit.prefix(7)):5:9: Database/bad: spec.port: must be between 1 and 65535 (got 70000)"])
    }

    @Test func tenThousandFilesAreReadInOnePass() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-git-big")
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("repo").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for index in 0..<2_000 {
            try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: db\(index)}\nspec: {port: 5432}\n", to: "repo/c/\(index % 40)/db\(index).yaml")
        }
        try await git(["init", "-q", "-b", "main"], in: path)
        try await git(["add", "-A"], in: path)
        try await git(["commit", "-q", "-m", "many"], in: path)
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let files = try reader(cache).snapshot(repository: path, ref: "HEAD").files(under: "c", suffixes: [".yaml"])
        #expect(files.count == 2_000)
    }
}

@Suite("Git: remote repositories")
struct RemoteGitTests {
    @Test func aFileURLIsClonedIntoTheCacheOnceThenFetched() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let url = "file://" + (try await repository.bare())
        let git = reader(cache)
        let first = try git.snapshot(repository: url, ref: "main")
        #expect(first.commitID == repository.commits["second"])
        #expect(try git.snapshot(repository: url, ref: "feature").commitID == repository.commits["feature"])
        #expect(try git.snapshot(repository: url, ref: "HEAD").commitID == repository.commits["second"])
        #expect(try git.snapshot(repository: url, ref: "v1").commitID == repository.commits["first"])
        let cached = try FileManager.default.contentsOfDirectory(atPath: cache.url.appendingPathComponent("repos").path)
        #expect(cached.filter { !$0.hasSuffix(".lock") }.count == 1)

        // A new commit on the remote is seen on the next run (a fetch, not a new clone).
        try repository.directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: third}\nspec: {port: 5}\n", to: "work/config/db.yaml")
        try await git_(["commit", "-q", "-am", "third"], in: repository.path)
        try await git_(["push", "-q", try await repository.bare(), "main"], in: repository.path)
        let third = try await git_(["rev-parse", "HEAD"], in: repository.path)
        let after = try git.snapshot(repository: url, ref: "main")
        #expect(after.commitID == third)
        #expect(text(try after.files(under: "config", suffixes: [".yaml"]), "config/db.yaml")?.contains("third") == true)
        #expect(try git.snapshot(repository: url, ref: "origin/main").commitID == third)
    }

    @Test func concurrentRunsOnOneCacheDoNotCorruptIt() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let url = "file://" + (try await repository.bare())
        let git = reader(cache)
        let commits = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await Task.detached { try git.snapshot(repository: url, ref: index.isMultiple(of: 2) ? "main" : "feature").commitID }.value
                }
            }
            var result: [String] = []
            for try await commit in group { result.append(commit) }
            return result
        }
        #expect(Set(commits) == [repository.commits["second"]!, repository.commits["feature"]!])
        #expect(try git.snapshot(repository: url, ref: "main").files(under: "config", suffixes: [".yaml"]).count == 1)
    }

    @Test func anHTTPRemoteWithBasicAuth() async throws {
        let repository = try await FixtureRepository.make()
        defer { repository.directory.remove() }
        _ = try await repository.bare()
        let server = GitHTTPServer(root: repository.directory.path, password: "git-token-secret")
        try await server.start()
        let url = "\(server.baseURL)/bare.git"

        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        let good = reader(cache, credentials: GitCredentials.fromEnvironment(["CONNSYNC_GIT_TOKEN": "git-token-secret"], sshKeyPath: nil))
        let snapshot = try good.snapshot(repository: url, ref: "feature")
        #expect(snapshot.commitID == repository.commits["feature"])
        #expect(snapshot.repositoryDisplay == url)

        let otherCache = try TemporaryDirectory()
        defer { otherCache.remove() }
        let bad = reader(otherCache, credentials: GitCredentials(token: "wrong-token"))
        do {
            _ = try bad.snapshot(repository: url, ref: "main")
            Issue.record("a wrong token must be refused")
        } catch {
            #expect(error == .authenticationFailed(repository: url))
            #expect(!error.description.contains("wrong-token"))
        }
        // Credentials written into the URL are never shown.
        do {
            _ = try bad.snapshot(repository: url.replacingOccurrences(of: "http://", with: "http://me:url-secret@"), ref: "main")
            Issue.record("a wrong password must be refused")
        } catch {
            #expect(!error.description.contains("url-secret"))
            #expect(error.description.contains(url))
        }
        await server.stop()
    }

    @Test func aClosedPortIsANetworkFailure() async throws {
        let cache = try TemporaryDirectory()
        defer { cache.remove() }
        do {
            _ = try reader(cache).snapshot(repository: "http://127.0.0.1:9/repo.git", ref: "main")
            Issue.record("expected a network failure")
        } catch {
            guard case .networkFailure(let repository, _) = error else {
                Issue.record("expected a network failure, got \(error)")
                return
            }
            #expect(repository == "http://127.0.0.1:9/repo.git")
            #expect(error.description.hasPrefix("cannot reach http://127.0.0.1:9/repo.git:"))
        }
    }

    @Test func displayStripsCredentials() {
        #expect(GitReader.display("https://user:token@git.example/org/repo.git") == "https://git.example/org/repo.git")
        #expect(GitReader.display("/srv/repo") == "/srv/repo")
        #expect(GitReader.isURL("git@github.com:org/repo.git"))
        #expect(!GitReader.isURL("./local/repo"))
    }
}

/// `git` in a folder (the shared helper, renamed to avoid shadowing in closures).
@discardableResult
func git_(_ arguments: [String], in directory: String) async throws -> String {
    try await git(arguments, in: directory)
}
