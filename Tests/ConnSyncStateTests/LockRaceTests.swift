import ConnSyncState
import Foundation
import TestSupport
import Testing

/// Two (and three) OS processes race for the lock of one state: the marker lines they
/// write while holding it never interleave.
@Suite("Lock race between processes")
struct LockRaceTests {
    @Test(arguments: StoreKind.allCases)
    func onlyOneProcessHoldsTheLockAtATime(_ kind: StoreKind) async throws {
        let fixture = try StoreFixture(kind)
        defer { fixture.cleanUp() }
        // Create and migrate the store first, so the race is about the lock only.
        try await fixture.open().close()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.url.appendingPathComponent("marker").path
        let location: String
        switch fixture.location {
        case .sqlite(let path): location = "sqlite:\(path)"
        case .postgres(let url): location = url
        }
        let binary = try connsyncBinaryPath()
        async let first = runProcess(binary, ["state", "hold-lock", "--state", location, "--marker", marker, "--lock-timeout", "60s"])
        async let second = runProcess(binary, ["state", "hold-lock", "--state", location, "--marker", marker, "--lock-timeout", "60s"])
        async let third = runProcess(binary, ["state", "hold-lock", "--state", location, "--marker", marker, "--lock-timeout", "60s"])
        let results = try await [first, second, third]
        for result in results { #expect(result.status == 0, "\(result)") }
        let lines = try String(contentsOfFile: marker, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        for pair in stride(from: 0, to: lines.count, by: 2) {
            let start = lines[pair].split(separator: " ")
            let end = lines[pair + 1].split(separator: " ")
            #expect(start.first == "start" && end.first == "end" && start.last == end.last, "\(lines)")
        }
    }

    @Test func aSecondProcessGivesUpAfterTheTimeoutNamingTheHolder() async throws {
        let fixture = try StoreFixture(.sqlite)
        defer { fixture.cleanUp() }
        guard case .sqlite(let path) = fixture.location else { return }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.url.appendingPathComponent("marker").path
        let hold = directory.url.appendingPathComponent("hold").path
        FileManager.default.createFile(atPath: hold, contents: nil)
        let binary = try connsyncBinaryPath()
        // Held until the late process has given up, however slowly a loaded machine starts it
        // (at most two minutes).
        let holder = try BackgroundProcess(
            binary, ["state", "hold-lock", "--state", "sqlite:\(path)", "--marker", marker, "--seconds", "120", "--while-exists", hold])
        // Wait until the holder has the lock (it wrote its start line).
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: marker) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(FileManager.default.fileExists(atPath: marker), "the holder never took the lock")
        let late = try await runProcess(binary, ["state", "hold-lock", "--state", "sqlite:\(path)", "--marker", marker, "--lock-timeout", "300ms"])
        #expect(late.status == 1)
        #expect(late.stderr.contains("the state is locked by connsync state hold-lock (pid \(holder.pid)"))
        #expect(late.stderr.contains("connsync state unlock --force"))
        try FileManager.default.removeItem(atPath: hold)
        while holder.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(holder.terminationStatus == 0)
        // The late process never held it.
        #expect(try String(contentsOfFile: marker, encoding: .utf8).split(separator: "\n").count == 2)
    }
}
