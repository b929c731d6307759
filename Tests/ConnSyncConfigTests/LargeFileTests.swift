import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

/// A file of many documents is read in parallel chunks (split at `---` lines): what it
/// yields must be what one reader yields, positions and document numbers included.
@Suite("Large files")
struct LargeFileTests {
    /// `count` connection documents, each 8 lines, after `validBase`.
    static func connections(_ count: Int, change: [Int: String] = [:], prefix: String = "") -> String {
        var text = prefix + validBase
        for index in 0..<count {
            text += change[index] ?? Self.connection(index)
        }
        return text
    }

    static func connection(_ index: Int) -> String {
        "---\napiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: conn-\(index)\n  labels: {team: data, tier: gold}\n"
            + "spec: {provider: rep, databaseRef: orders, database: orders_\(index)}\n# padding to make the file large enough to be split: \(String(repeating: "x", count: 40))\n"
    }

    /// The 1-based line where connection `index`'s document starts (its `---`).
    static func line(ofConnection index: Int, prefix: String = "") -> Int {
        (prefix + validBase).split(separator: "\n", omittingEmptySubsequences: false).count + index * 8
    }

    /// Enough documents for the file to be read in several chunks.
    static let count = 4_000

    @Test func aLargeFileLoadsAsOneReaderWouldRead() throws {
        let text = Self.connections(Self.count)
        #expect(text.utf8.count > 3 * (256 << 10))
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.isEmpty)
        #expect(result.state?.connections.count == Self.count)
        #expect(result.documentCount == Self.count + 9)
    }

    /// The first document implicit (no `---`), or explicit after comments: numbering
    /// through the chunks is the same.
    @Test(arguments: ["", "# the desired state\n\n---\n", "\u{FEFF}# marked\n---\n"])
    func positionsAndDocumentNumbersLateInALargeFileAreExact(_ prefix: String) throws {
        let late = 3_900
        let text = Self.connections(
            Self.count,
            change: [
                late: "---\n- not a mapping\n" + String(repeating: "#\n", count: 6),
                3_950: Self.connection(3_950).replacingOccurrences(of: "database: orders_3950", with: "port: many"),
            ], prefix: prefix)
        let (_, rendered) = try loadFiles(["all.yaml": text])
        // validBase holds 9 documents: the list is document 9 + 3900 + 1.
        #expect(
            rendered.contains { $0.hasPrefix("all.yaml:\(Self.line(ofConnection: late, prefix: prefix) + 1):1: document/#\(9 + late + 1):") },
            "\(rendered)")
        let portLine = Self.line(ofConnection: 3_950, prefix: prefix) + 6
        #expect(rendered.contains { $0.hasPrefix("all.yaml:\(portLine):") && $0.contains("Connection/conn-3950") && $0.contains("spec.port") }, "\(rendered)")
    }

    @Test func aSyntaxErrorLateInALargeFileIsReportedWhereItIs() throws {
        let broken = "---\napiVersion: connsync/v1\nkind: [Connection\nmetadata: {name: broken}\n"
        let text = Self.connections(Self.count, change: [1_990: broken, 3_990: broken])
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(result.state == nil)
        let yaml = rendered.filter { $0.contains("invalid YAML") }
        // Reading stops at the first: the later one, in a later chunk, is not reported.
        #expect(yaml.count == 1)
        // libyaml stops where the flow sequence cannot go on: the line after `kind: [`.
        let start = Self.line(ofConnection: 1_990)
        #expect(yaml.first.map { line in (start + 2...start + 4).contains { line.hasPrefix("all.yaml:\($0):") } } == true, "\(yaml)")
    }

    @Test func aDuplicateKeyLateInALargeFileIsReportedAtIt() throws {
        let duplicate = Self.connection(3_500).replacingOccurrences(of: "kind: Connection\n", with: "kind: Connection\nkind: Connection\n")
        let text = Self.connections(Self.count, change: [3_500: duplicate])
        let (_, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.first == "all.yaml:\(Self.line(ofConnection: 3_500) + 3):1: duplicate key 'kind' in one mapping; keep one", "\(rendered.prefix(2))")
    }

    @Test func aLargeFileWithADirectiveIsReadWhole() throws {
        let text = "%YAML 1.1\n---\n" + Self.connections(Self.count)
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.isEmpty, "\(rendered.prefix(2))")
        #expect(result.state?.connections.count == Self.count)
    }

    @Test func foreignDocumentsInSeveralChunksAreReportedOncePerFile() throws {
        let manifest = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n#\n#\n#\n"
        let text = Self.connections(Self.count, change: [100: manifest, 3_800: manifest])
        let (_, rendered) = try loadFiles(["all.yaml": text])
        let foreign = rendered.filter { $0.contains("not a connsync document") }
        #expect(foreign.count == 1)
        #expect(foreign.first?.hasPrefix("all.yaml:\(Self.line(ofConnection: 100) + 1):1:") == true, "\(foreign)")
        #expect(foreign.first?.contains("(this file holds 2 such documents)") == true)
    }

    @Test func documentsOfTheFirstChunkAreNumberedFromOne() throws {
        // validBase's first document has no `---` (an implicit first document).
        let text = validBase.replacingOccurrences(of: "---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: cd}", with: "---\n- a list\n---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: cd}")
            + (0..<Self.count).map(Self.connection).joined()
        let (_, rendered) = try loadFiles(["all.yaml": text])
        // wm is document 1, rep 2: the list is document 3.
        #expect(rendered.contains { $0.contains("document/#3: a document must be a mapping") }, "\(rendered.prefix(3))")
    }

    /// libyaml counts a lone CR (and NEL, LS, PS) as a line break: such a file is read whole,
    /// and positions late in it stay where libyaml says.
    @Test func aLoneCarriageReturnKeepsPositionsExact() throws {
        let prefix = "# notes\r# more notes\n"
        let late = 3_900
        let text = Self.connections(Self.count, change: [late: "---\n- not a mapping\n" + String(repeating: "#\n", count: 6)], prefix: prefix)
        let (_, rendered) = try loadFiles(["all.yaml": text])
        // One more line than the LF count: the lone CR.
        let line = Self.line(ofConnection: late, prefix: prefix) + 1 + 1
        #expect(rendered.contains { $0.hasPrefix("all.yaml:\(line):1: document/#\(9 + late + 1):") }, "\(rendered.prefix(2))")
    }

    @Test func aLargeFileWithAByteOrderMarkAndADirectiveIsReadWhole() throws {
        let text = "\u{FEFF}%YAML 1.1\n---\n" + Self.connections(Self.count)
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.isEmpty, "\(rendered.prefix(2))")
        #expect(result.state?.connections.count == Self.count)
    }

    @Test func noSecretCommandRunsForDocumentsAfterASyntaxError() throws {
        let directory = try TemporaryDirectory(prefix: "connsync-large")
        defer { directory.remove() }
        let marker = directory.url.appendingPathComponent("ran").path
        let command = "---\napiVersion: connsync/v1\nkind: Database\nmetadata: {name: late}\nspec: {password: {fromCommand: [touch, \(marker)]}}\n#\n#\n#\n"
        let broken = "---\napiVersion: connsync/v1\nkind: [Connection\nmetadata: {name: broken}\n#\n#\n#\n#\n"
        var environment = baseEnvironment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        func load() -> LoadResult {
            DesiredStateLoader(
                options: LoadOptions(resolveSecrets: true, allowSecretCommands: true),
                resolver: StandardSecretResolver(environment: environment), vendors: VendorRegistry.standard.catalog
            ).load(from: DirectorySource(directory: directory.path))
        }
        // The control: without the syntax error, the late command runs.
        try directory.write(Self.connections(Self.count, change: [3_900: command]), to: "all.yaml")
        _ = load()
        #expect(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)

        try directory.write(Self.connections(Self.count, change: [100: broken, 3_900: command]), to: "all.yaml")
        let result = load()
        #expect(result.errors.contains { $0.code == "yaml-syntax" })
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
