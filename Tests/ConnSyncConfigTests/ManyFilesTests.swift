@testable import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// A folder of many files is read on every core: what comes back, and the first problem
/// reported, must be what a reading in path order gives.
@Suite("Many files")
struct ManyFilesTests {
    static let count = 200

    /// `count` files over four folders, written in an order unlike the path order.
    static func folder() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        for index in (0..<count).reversed() {
            try folder.write("# file \(index)\n" + String(repeating: "x", count: index), to: path(index))
        }
        return folder
    }

    static func path(_ index: Int) -> String {
        "team-\(index % 4)/file-\(String(format: "%03d", index)).yaml"
    }

    @Test func filesComeBackInPathOrderWithTheirOwnBytes() throws {
        let folder = try Self.folder()
        defer { folder.remove() }
        let files = try DirectorySource(directory: folder.path).yamlFiles()
        #expect(files.map(\.path) == (0..<Self.count).map(Self.path).sorted())
        for file in files {
            let index = try #require(Int(file.path.dropFirst("team-0/file-".count).prefix(3)))
            #expect(String(decoding: file.contents, as: UTF8.self) == "# file \(index)\n" + String(repeating: "x", count: index))
        }
    }

    /// A FIFO (refused as not a regular file) and a symlink out of the source: whichever comes
    /// first in path order is the error, whichever thread met the other first.
    @Test(arguments: [(fifo: 40, link: 160), (fifo: 160, link: 40)])
    func theFirstProblemInPathOrderIsTheOneReported(_ fifo: Int, _ link: Int) throws {
        let outside = try TemporaryDirectory()
        defer { outside.remove() }
        try outside.write("kind: elsewhere\n", to: "elsewhere.yaml")
        let folder = try Self.folder()
        defer { folder.remove() }
        // Sorted paths put every team-0 file first; both files are in team-0 (indices ≡ 0 mod 4).
        let fifoPath = folder.path + "/" + Self.path(fifo)
        try FileManager.default.removeItem(atPath: fifoPath)
        #expect(mkfifo(fifoPath, 0o600) == 0)
        let linkPath = folder.path + "/" + Self.path(link)
        try FileManager.default.removeItem(atPath: linkPath)
        try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: outside.path + "/elsewhere.yaml")
        #expect {
            _ = try DirectorySource(directory: folder.path).yamlFiles()
        } throws: { error in
            let text = "\(error)"
            return fifo < link
                ? text.contains(Self.path(fifo)) && text.contains("not a regular file") : text.contains(Self.path(link)) && text.contains("outside the source")
        }
    }

    @Test func theTotalLimitHoldsWhenFilesAreReadOnEveryCore() throws {
        let folder = try Self.folder()
        defer { folder.remove() }
        var source = DirectorySource(directory: folder.path)
        let total = (0..<Self.count).reduce(0) { $0 + "# file \($1)\n".utf8.count + $1 }
        source.maximumTotalBytes = total
        #expect(try source.yamlFiles().count == Self.count)
        source.maximumTotalBytes = total - 1
        #expect {
            _ = try source.yamlFiles()
        } throws: { error in
            guard case SourceError.tooLarge = error else { return false }
            return true
        }
    }

    /// Connections are checked in address order (the order the state keeps), yet every
    /// error is still reported at its place in file order, and the state comes out sorted.
    @Test func connectionsOutOfAddressOrderComeOutSortedWithErrorsInFileOrder() throws {
        func connection(_ name: String, provider: String, extra: String = "") -> String {
            "---\napiVersion: connsync/v1\nkind: Connection\nmetadata: {name: \(name)}\nspec: {provider: \(provider), databaseRef: orders\(extra)}\n"
        }
        // Datafor cannot hold a schema: the vendor's check, made after references resolve.
        let documents = [
            connection("zeta", provider: "rep"), connection("alpha", provider: "wm"), connection("yankee", provider: "df", extra: ", schema: public"),
            connection("beta", provider: "rep"), connection("able", provider: "df", extra: ", schema: public"), connection("aaa", provider: "rep"),
        ]
        let (valid, none) = try loadFiles(["all.yaml": validBase + documents.enumerated().filter { $0.offset != 2 && $0.offset != 4 }.map(\.element).joined()])
        #expect(none.isEmpty, "\(none)")
        #expect(try #require(valid.state).connections.map(\.address.description) == ["rep/aaa", "rep/beta", "rep/zeta", "wm/alpha"])
        let (_, rendered) = try loadFiles(["all.yaml": validBase + documents.joined()])
        #expect(rendered.count == 2, "\(rendered)")
        #expect(rendered.first?.contains("Connection/yankee: spec.schema") == true && rendered.last?.contains("Connection/able: spec.schema") == true, "\(rendered)")
    }

    /// One read when fstat's size is right; a size that under-reports (a /proc file says 0)
    /// is still read to the end; the limit holds at its exact byte.
    @Test func aFileIsReadWholeWhateverItsReportedSize() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let text = String(repeating: "abc\n", count: 3_000)
        let path = try folder.write(text, to: "f.yaml").path
        #expect(String(decoding: try FileSystem.read(path, maximumSize: 1 << 20), as: UTF8.self) == text)
        #expect(try FileSystem.read(path, maximumSize: text.utf8.count).count == text.utf8.count)
        #expect(throws: FileSystem.ReadError.self) { try FileSystem.read(path, maximumSize: text.utf8.count - 1) }
        let status = try FileSystem.read("/proc/self/status", maximumSize: 1 << 20)
        #expect(String(decoding: status, as: UTF8.self).contains("VmRSS:"))
        let empty = try folder.write("", to: "empty.yaml").path
        #expect(try FileSystem.read(empty, maximumSize: 10).isEmpty)
    }

    /// Found next to each other once sorted, a name defined three times is reported twice, each
    /// time against the first definition in file order; a duplicate gets no other error.
    @Test func aConnectionDefinedThriceNamesItsFirstDefinition() throws {
        func connection(_ name: String, database: String = "orders") -> String {
            "---\napiVersion: connsync/v1\nkind: Connection\nmetadata: {name: \(name)}\nspec: {provider: rep, databaseRef: \(database)}\n"
        }
        let files = [
            "a.yaml": validBase + connection("zeta-db") + connection("dup-db"),
            "b.yaml": connection("dup-db", database: "missing") + connection("alpha-db") + connection("dup-db"),
        ]
        let (result, rendered) = try loadFiles(files)
        let firstLine = validBase.split(separator: "\n", omittingEmptySubsequences: false).count + 5 + 3
        #expect(result.errors.map(\.code) == ["duplicate-name", "duplicate-name"], "\(rendered)")
        #expect(rendered.allSatisfy { $0.hasPrefix("b.yaml:") && $0.contains("is already defined at a.yaml:\(firstLine):") }, "\(rendered)")
    }

    /// A problem early in path order is the one reported even when files later in the order,
    /// read on another core at the same time, are each larger than the whole limit.
    @Test func anEarlyProblemIsReportedWhateverLaterFilesWeigh() throws {
        let folder = try Self.folder()
        defer { folder.remove() }
        var source = DirectorySource(directory: folder.path)
        source.maximumTotalBytes = 20_000
        for index in [61, 122, 183] { try folder.write(String(repeating: "y", count: 30_000), to: Self.path(index)) }
        let fifoPath = folder.path + "/" + Self.path(4)
        try FileManager.default.removeItem(atPath: fifoPath)
        #expect(mkfifo(fifoPath, 0o600) == 0)
        for _ in 0..<20 {
            #expect {
                _ = try source.yamlFiles()
            } throws: { error in
                "\(error)".contains(Self.path(4)) && "\(error)".contains("not a regular file")
            }
        }
        // Without the FIFO, the first large file in path order passes the limit.
        try FileManager.default.removeItem(atPath: fifoPath)
        #expect {
            _ = try source.yamlFiles()
        } throws: { error in
            guard case SourceError.tooLarge = error else { return false }
            return true
        }
    }

    /// What readers on several cores may hold is reserved from fstat's size before a read.
    @Test func theBudgetReservesBeforeAReadAndRemembersTheFirstFailure() {
        let budget = ReadBudget(limit: 10)
        #expect(budget.reserve(6))
        #expect(!budget.reserve(5))
        #expect(budget.reserve(4))
        #expect(!budget.reserve(1))
        #expect(!budget.failed(before: 100))
        budget.failed(at: 30)
        budget.failed(at: 50)
        #expect(!budget.failed(before: 30))
        #expect(budget.failed(before: 31))
    }

    /// Enough connections for the vendor checks to run in slices on every core: errors found
    /// in different slices come out in file order, and only the valid connections are kept.
    @Test func vendorChecksInSlicesKeepFileOrder() throws {
        let count = 4_000
        let bad: Set<Int> = [10, 1_500, 3_900]
        var text = validBase
        for index in 0..<count {
            // Reverse names: address order is the opposite of file order.
            let name = "conn-\(String(format: "%05d", count - index))"
            text += "---\napiVersion: connsync/v1\nkind: Connection\nmetadata: {name: \(name)}\nspec: {provider: \(bad.contains(index) ? "df" : "rep"), databaseRef: orders\(bad.contains(index) ? ", schema: public" : "")}\n"
        }
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(result.errors.map(\.code) == ["unsupported-field", "unsupported-field", "unsupported-field"], "\(rendered)")
        #expect(bad.sorted().map { "Connection/conn-\(String(format: "%05d", count - $0))" } == rendered.map { String($0.split(separator: " ")[1].dropLast()) }, "\(rendered)")
        let (valid, _) = try loadFiles(["all.yaml": text.replacingOccurrences(of: ", schema: public", with: "")])
        let addresses = try #require(valid.state).connections.map(\.address)
        #expect(addresses.count == count && addresses == addresses.sorted())
    }
}
