@testable import ConnSyncConfig
import Foundation
import TestSupport
import Testing

/// Files are opened by name in their folder, each folder opened once; past the bound, and
/// for files reached through a symlink, by path: what is read is the same either way.
@Suite("Open folders")
struct OpenFoldersTests {
    static func file(_ path: String, folder: Int, linked: Bool = false) -> DirectorySource.Walk.File {
        DirectorySource.Walk.File(path: path, name: String(path.split(separator: "/").last!), folder: folder, throughSymlink: linked)
    }

    /// Only the folders of files reached without a symlink are opened.
    @Test func onlyTheFoldersOfDirectFilesAreOpened() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try root.write("a: 1\n", to: "a/one.yaml")
        try root.write("b: 1\n", to: "b/two.yaml")
        let files = [Self.file("a/one.yaml", folder: 1), Self.file("b/two.yaml", folder: 2, linked: true)]
        let folders = OpenFolders(["", "a", "b"], of: files, root: root.path)
        defer { folders.close() }
        #expect(folders[0] == nil && folders[2] == nil)
        let descriptor = try #require(folders[1])
        #expect(try FileSystem.read("one.yaml", in: descriptor, maximumSize: 100, admit: { _ in true }) == Data("a: 1\n".utf8))
    }

    /// Past the limit, the folders of the later files stay closed (their files are read by
    /// path); the limit leaves room for the files themselves under a low `RLIMIT_NOFILE`.
    @Test func atMostTheLimitOfFoldersIsOpened() throws {
        #expect(OpenFolders.limit(openFiles: 1_048_576) == 256)
        #expect(OpenFolders.limit(openFiles: 256) == 64)
        #expect(OpenFolders.limit(openFiles: 3) == 0)
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let count = OpenFolders.limit(openFiles: .max) + 1
        let names = (0..<count).map { String(format: "f%03d", $0) }
        for name in names { try root.write("", to: name + "/x.yaml") }
        let files = names.indices.map { Self.file(names[$0] + "/x.yaml", folder: $0) }
        let folders = OpenFolders(names, of: files, root: root.path)
        defer { folders.close() }
        #expect((0..<count - 1).allSatisfy { folders[$0] != nil })
        #expect(folders[count - 1] == nil)
    }

    /// More folders than are opened at once, a folder reached through a symlink, and the
    /// root's own files: every file comes back whole, in path order.
    @Test func everyFileIsReadWhetherItsFolderIsOpenOrNot() throws {
        for count in [3, OpenFolders.limit(openFiles: .max) + 2] {
            let root = try TemporaryDirectory()
            defer { root.remove() }
            var expected: [String: String] = ["top.yaml": "top: 1\n"]
            try root.write("top: 1\n", to: "top.yaml")
            for index in 0..<count {
                let path = String(format: "d%03d/f.yaml", index)
                try root.write("n: \(index)\n", to: path)
                expected[path] = "n: \(index)\n"
            }
            // A hidden folder is not walked: reached only through the link, its file is read by path.
            try root.write("hidden: 1\n", to: ".hidden/f.yaml")
            try FileManager.default.createSymbolicLink(atPath: root.path + "/linked", withDestinationPath: root.path + "/.hidden")
            expected["linked/f.yaml"] = "hidden: 1\n"
            let files = try DirectorySource(directory: root.path).yamlFiles()
            #expect(files.map(\.path) == expected.keys.sorted(), "\(count) folders")
            #expect(files.allSatisfy { String(decoding: $0.contents, as: UTF8.self) == expected[$0.path] }, "\(count) folders")
        }
    }
}

/// A folder's names are read where `readdir` leaves them, whatever their length.
@Suite("Folder entries")
struct FolderEntriesTests {
    @Test func namesOfEveryLengthComeBackWhole() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let names = (1...250).map { length in String(repeating: "n", count: length - 1) + String(length % 10) }
        for name in names { try root.write("", to: name) }
        try root.write("", to: "sub/x")
        let entries = try #require(FileSystem.entries(of: root.path))
        #expect(Set(entries.map(\.name)) == Set(names + ["sub"]))
        #expect(entries.first { $0.name == "sub" }?.kind == .directory)
        #expect(entries.filter { $0.kind == .file }.count == names.count)
    }
}
