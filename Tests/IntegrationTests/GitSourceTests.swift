import ConnSyncModel
import Foundation
import TestSupport
import Testing

@Suite("Desired state from a git commit")
struct GitSourceIntegrationTests {
    /// A repository whose `deploy/connsync` folder holds the workspace's config, committed.
    func makeRepository(_ workspace: Workspace) async throws -> (path: String, commit: String) {
        let repository = workspace.directory.url.appendingPathComponent("repo").path
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: repository)
        try workspace.directory.write(workspace.providersYAML, to: "repo/deploy/connsync/providers.yaml")
        try workspace.directory.write(Workspace.ordersDatabase, to: "repo/deploy/connsync/databases.yaml")
        try workspace.directory.write(Workspace.connection("orders", provider: "wm"), to: "repo/deploy/connsync/connections.yaml")
        try await git(["add", "-A"], in: repository)
        try await git(["commit", "-q", "-m", "orders at wiremock"], in: repository)
        return (repository, try await git(["rev-parse", "HEAD"], in: repository))
    }

    @Test func planAndApplyFromACommitRecordTheCommit() async throws {
        try await Workspace.with { workspace in
            let (repository, commit) = try await makeRepository(workspace)
            // An uncommitted change in the work tree is not read: only the commit is.
            try workspace.directory.write("garbage: [\n", to: "repo/deploy/connsync/broken.yaml")
            let source = ["--repo", repository, "--ref", "main", "--path", "deploy/connsync"]
            let plan = try await workspace.run(["plan"] + source + ["--state", "sqlite:\(workspace.statePath)"])
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.hasPrefix("connsync plan · source \(repository) (deploy/connsync) @ \(commit.prefix(7)) · 1 connection · 7 providers"))
            let json = try Value(json: try await workspace.run(["plan", "--json"] + source + ["--state", "sqlite:\(workspace.statePath)"]).stdout)
            #expect(json["source"] == ["kind": "git", "location": .string(repository), "ref": "main", "commit": .string(commit), "path": "deploy/connsync", "dirty": nil])
            let apply = try await workspace.run(["apply", "--auto-approve"] + source + ["--state", "sqlite:\(workspace.statePath)"])
            #expect(apply.status == 0, "\(apply)")
            let history = try Value(json: try await workspace.run(["state", "history", "--json", "--state", "sqlite:\(workspace.statePath)"]).stdout)
            #expect(history.arrayValue?.first?["commit"] == .string(commit))
            let record = try await workspace.run(["state", "show", "wm/orders", "--json", "--state", "sqlite:\(workspace.statePath)"])
            #expect(try Value(json: record.stdout)["last_commit"] == .string(commit))
        }
    }

    @Test func aSavedPlanReReadsTheExactCommit() async throws {
        try await Workspace.with { workspace in
            let (repository, commit) = try await makeRepository(workspace)
            let planFile = workspace.directory.url.appendingPathComponent("plan.json").path
            let source = ["--repo", repository, "--ref", "main", "--path", "deploy/connsync"]
            #expect(try await workspace.run(["plan", "--out", planFile] + source + ["--state", "sqlite:\(workspace.statePath)"]).status == 0)
            let saved = try Value(json: Data(contentsOf: URL(fileURLWithPath: planFile)))
            #expect(saved[path: "source.commit"] == .string(commit))
            // main moves on; the saved plan still applies what was reviewed, from its commit.
            try workspace.directory.write(Workspace.connection("orders", provider: "wm", extra: "  port: 6432\n"), to: "repo/deploy/connsync/connections.yaml")
            try await git(["commit", "-q", "-am", "new port"], in: repository)
            let apply = try await workspace.run(["apply", planFile, "--state", "sqlite:\(workspace.statePath)"])
            #expect(apply.status == 0, "\(apply)")
            #expect(try await workspace.state()["wiremock-cloud"]?.arrayValue?.first?["port"] == 5432)
        }
    }

    @Test func gitErrorsNameTheRepositoryRefAndPath() async throws {
        try await Workspace.with { workspace in
            let (repository, _) = try await makeRepository(workspace)
            let unknownRef = try await workspace.run(["plan", "--repo", repository, "--ref", "nope", "--state", "sqlite:\(workspace.statePath)"])
            #expect(unknownRef.status == 1)
            #expect(unknownRef.stderr.contains("unknown ref 'nope' in \(repository)"))
            let missingPath = try await workspace.run(
                ["validate", "--repo", repository, "--path", "nowhere"])
            #expect(missingPath.status == 1)
            #expect(missingPath.stderr.contains("no folder 'nowhere' in \(repository) at HEAD: check --path"))
            let notRepository = try await workspace.run(["validate", "--repo", workspace.directory.path])
            #expect(notRepository.stderr.contains("is not a git repository"))
            let bad = try await workspace.run(["validate", "--repo", repository, "--path", "deploy/connsync", "--ref", "main", "--format", "json"])
            #expect(bad.status == 0, "\(bad)")
        }
    }

    @Test func aDirectoryInAWorkTreeShowsTheHeadCommitAndDirtyFlag() async throws {
        try await Workspace.with { workspace in
            let (repository, commit) = try await makeRepository(workspace)
            let folder = repository + "/deploy/connsync"
            let clean = try await workspace.run(["plan", "--dir", folder, "--json", "--state", "sqlite:\(workspace.statePath)"])
            let cleanSource = try Value(json: clean.stdout)["source"]
            #expect(cleanSource?["commit"] == .string(commit))
            #expect(cleanSource?["dirty"] == false)
            try workspace.directory.write("# edited\n" + Workspace.connection("orders", provider: "wm"), to: "repo/deploy/connsync/connections.yaml")
            let dirty = try await workspace.run(["plan", "--dir", folder, "--state", "sqlite:\(workspace.statePath)"])
            #expect(dirty.stdout.contains("@ \(commit.prefix(7)) (dirty) ·"))
        }
    }
}
