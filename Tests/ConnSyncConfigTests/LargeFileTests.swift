import ConnSyncConfig
import ConnSyncModel
import Foundation
import Testing

/// A file of many documents is read in parallel chunks (split at `---` lines): what it
/// yields must be what one reader yields, positions and document numbers included.
@Suite("Large files")
struct LargeFileTests {
    /// `count` connection documents, each 8 lines, after `validBase`.
    static func connections(_ count: Int, change: [Int: String] = [:]) -> String {
        var text = validBase
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
    static func line(ofConnection index: Int) -> Int {
        validBase.split(separator: "\n", omittingEmptySubsequences: false).count + index * 8
    }

    @Test func aLargeFileLoadsAsOneReaderWouldRead() throws {
        let text = Self.connections(2_000)
        #expect(text.utf8.count > 256 << 10)
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.isEmpty)
        #expect(result.state?.connections.count == 2_000)
        #expect(result.documentCount == 2_000 + 9)
    }

    @Test func positionsAndDocumentNumbersLateInALargeFileAreExact() throws {
        let late = 1_900
        let text = Self.connections(
            2_000,
            change: [
                late: "---\n- not a mapping\n" + String(repeating: "#\n", count: 6),
                1_950: Self.connection(1_950).replacingOccurrences(of: "database: orders_1950", with: "port: many"),
            ])
        let (_, rendered) = try loadFiles(["all.yaml": text])
        // validBase holds 9 documents: the list is document 9 + 1900 + 1.
        #expect(rendered.contains { $0.hasPrefix("all.yaml:\(Self.line(ofConnection: late) + 1):1: document/#\(9 + late + 1):") })
        let portLine = Self.line(ofConnection: 1_950) + 6
        #expect(rendered.contains { $0.hasPrefix("all.yaml:\(portLine):") && $0.contains("Connection/conn-1950") && $0.contains("spec.port") }, "\(rendered)")
    }

    @Test func aSyntaxErrorLateInALargeFileIsReportedWhereItIs() throws {
        let broken = "---\napiVersion: connsync/v1\nkind: [Connection\nmetadata: {name: broken}\n"
        let text = Self.connections(2_000, change: [1_990: broken])
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(result.state == nil)
        let yaml = rendered.filter { $0.contains("invalid YAML") }
        #expect(yaml.count == 1)
        // libyaml stops where the flow sequence cannot go on: the line after `kind: [`.
        let start = Self.line(ofConnection: 1_990)
        #expect(yaml.first.map { line in (start + 2...start + 4).contains { line.hasPrefix("all.yaml:\($0):") } } == true, "\(yaml)")
    }

    @Test func aDuplicateKeyLateInALargeFileIsReportedAtIt() throws {
        let duplicate = Self.connection(1_500).replacingOccurrences(of: "kind: Connection\n", with: "kind: Connection\nkind: Connection\n")
        let text = Self.connections(2_000, change: [1_500: duplicate])
        let (_, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.first == "all.yaml:\(Self.line(ofConnection: 1_500) + 3):1: duplicate key 'kind' in one mapping; keep one", "\(rendered.prefix(2))")
    }

    @Test func aLargeFileWithADirectiveIsReadWhole() throws {
        let text = "%YAML 1.1\n---\n" + Self.connections(2_000)
        let (result, rendered) = try loadFiles(["all.yaml": text])
        #expect(rendered.isEmpty, "\(rendered.prefix(2))")
        #expect(result.state?.connections.count == 2_000)
    }
}
