import ConnSyncModel
import ConnSyncState
import Foundation
import TestSupport
import Testing

/// Write-ahead records and the state files (cli.md v1.1, "Trust").
@Suite("State: write-ahead records and files")
struct WriteAheadStateTests {
    @Test(arguments: StoreKind.allCases)
    func pendingRecordsAndRemovalsCommitTogether(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        var pending = record("new", created: true, hashes: ["password": "h"])
        pending.pending = .create
        pending.remoteID = nil
        try await store.upsert([record("gone"), record("kept")])
        try await store.commit(upserts: [pending, record("kept")], removals: [Address(provider: "wm", name: "gone")])
        let all = try await store.records()
        #expect(all.map(\.address.name) == ["kept", "new"])
        #expect(all.map(\.pending) == [nil, .create])
        #expect(all[1].remoteID == nil && all[1].isCreatedByConnsync)
        // Thousands of records in one commit (one statement, not one round trip each).
        let many = (0..<6000).map { record("m\($0)") }
        try await store.commit(upserts: many, removals: [])
        #expect(try await store.records().count == 6002)
        try await store.close()
    }

    @Test func theStateFilesAreOnlyTheOwnersAndItsFolderGetsAGitignore() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-state")
        defer { directory.remove() }
        let folder = directory.url.appendingPathComponent(".connsync")
        let path = folder.appendingPathComponent("state.db").path
        let store = try SQLiteStateStore(path: path)
        try await store.upsert([record("a")])
        #expect(store.openingNotes.contains { $0.contains("created a new state") })
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(try mode(of: file) == 0o600, "\(file)")
        }
        #expect(try mode(of: folder.path) == 0o700)
        #expect(FileManager.default.contents(atPath: folder.appendingPathComponent(".gitignore").path) == Data("*\n".utf8))
        try await store.close()
        // A folder that was made looser is tightened again, saying so; a file too.
        chmod(folder.path, 0o755)
        chmod(path, 0o644)
        let reopened = try SQLiteStateStore(path: path)
        #expect(try mode(of: folder.path) == 0o700)
        #expect(try mode(of: path) == 0o600)
        #expect(reopened.openingNotes.contains { $0.contains("tightened") && $0.contains(".connsync") })
        #expect(!reopened.openingNotes.contains { $0.contains("created a new state") })
        try await reopened.close()
    }

    @Test func aFolderTheUserNamedIsNeverChmodded() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-state")
        defer { directory.remove() }
        chmod(directory.path, 0o755)
        let store = try SQLiteStateStore(path: directory.url.appendingPathComponent("state.db").path)
        #expect(try mode(of: directory.path) == 0o755)
        try await store.close()
    }

    @Test func aSymlinkedOwnFolderIsRefusedAndItsTargetUntouched() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-state")
        defer { directory.remove() }
        let victim = directory.url.appendingPathComponent("victim").path
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        chmod(victim, 0o1777)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/.connsync", withDestinationPath: victim)
        #expect(throws: StateError.self) { try SQLiteStateStore(path: directory.path + "/.connsync/state.db") }
        #expect(try mode(of: victim) == 0o777)
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty)
    }

    @Test func anEmptyStateFileIsAnErrorNotNewState() async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-state")
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("state.db").path
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: StateError.emptyFile(path: path)) { try SQLiteStateStore(path: path) }
    }

    @Test(arguments: ["deleted", "emptied"])
    func aStateFileThatChangesUnderARunIsAnError(_ what: String) async throws {
        let directory = try TemporaryDirectory(prefix: "connsync-state")
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("state.db").path
        let store = try SQLiteStateStore(path: path)
        try await store.upsert([record("a")])
        if what == "deleted" {
            try FileManager.default.removeItem(atPath: path)
        } else {
            truncate(path, 0)
        }
        await #expect(throws: StateError.self) { try await store.upsert([record("b")]) }
        try? await store.close()
    }

    func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw TestSupportError.notFound(path) }
        return info.st_mode & 0o777
    }
}
