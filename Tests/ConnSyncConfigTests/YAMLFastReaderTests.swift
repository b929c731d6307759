@testable import ConnSyncConfig
import ConnSyncModel
import Foundation
import Testing

/// The fast reader must build exactly libyaml's tree (values, kinds, every position and
/// document number) wherever it reads a text, and decline wherever libyaml fails.
@Suite("Fast YAML reader")
struct YAMLFastReaderTests {
    enum Outcome: Equatable {
        case declined
        case read
    }

    /// The tree as text: every node with its kind and position.
    static func signature(_ node: YNode) -> String {
        switch node {
        case .scalar(let text, let kind, let at): return "S(\(text)|\(kind)|\(at.line):\(at.column))"
        case .mapping(let entries, let at):
            return "M\(at.line):\(at.column){" + entries.map { "\($0.key)@\($0.keyPosition.line):\($0.keyPosition.column)=\(signature($0.value))" }.joined(separator: ",") + "}"
        case .sequence(let items, let at): return "L\(at.line):\(at.column)[" + items.map(signature).joined(separator: ",") + "]"
        }
    }

    static func signature(_ documents: [YDocument]) -> [String] {
        documents.map { "#\($0.index) \(signature($0.root))" }
    }

    /// Reads `text` both ways: when the fast reader reads it, libyaml must read the same.
    @discardableResult
    static func compare(_ text: String, lineOffset: Int = 0, documentsBefore: Int = 0, sourceLocation: Testing.SourceLocation = #_sourceLocation)
        -> Outcome
    {
        let file = SourceFile(path: "/x/a.yaml", displayPath: "a.yaml", contents: Data(text.utf8))
        let reader = YAMLEventReader(file: file, lineOffset: lineOffset, documentsBefore: documentsBefore)
        var slow = reader
        let (expected, problems) = slow.read()
        guard let fast = reader.fastDocuments() else { return .declined }
        #expect(problems.isEmpty, "read what libyaml refuses: \(text.debugDescription) → \(problems)", sourceLocation: sourceLocation)
        #expect(signature(fast) == signature(expected), "\(text.debugDescription)", sourceLocation: sourceLocation)
        return .read
    }

    static let readable: [String] = [
        "a: 1\n",
        "apiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: conn-1\n  labels: {team: data, tier: gold}\nspec:\n  provider: rep\n  port: 5432\n",
        "---\na: b\n---\n---\nc: d\n",
        "# head\n\n---  # note\nkey:   value   # trailing\nother: 'it''s'  \nq: \"dq text\"\n",
        "list:\n- a\n- b\nnext: 1\n",
        "list:\n  - a\n  -   b\n  - name: x\n    host: y\n  - [1, 2]\nafter: {}\n",
        "- a\n- k: v\n  k2: v2\n- 'q'\n",
        "options: {\"configuration\":{\"collections\":[\"orders\",\"customers\"],\"environment\":\"PRODUCTION\"},\"endpoint\":\"https://db/4\"}\n",
        "m: {a: 1, b: [x, y z, 'q'], c: {}, d: []}\nn: [ a , b ]\n",
        "v: -5\nw: 1.5e3\nx: ~\ny: yes\nz: null\nt: 0x1F\nu: a,b]c\nurl: http://h:80/p#frag\n",
        "a:\n  b:\n    c:\n      d: deep\n  e: f\ng: h\n",
        "a: 1\n\n\n# c\n   # indented comment\nb: 2\n",
        "---\n# only a comment\n---\na: 1\n",
        "",
        "# nothing\n",
        "key: value # comment\nk2: va#lue\n",
        // Keys at the fast reader's own limit (libyaml's is 1024).
        "x: {" + String(repeating: "k", count: 1000) + ": v}\n", String(repeating: "k", count: 1000) + ": v\n",
    ]

    static let declined: [String] = [
        "a: &x 1\nb: *x\n", "a: !!str 1\n", "%YAML 1.1\n---\na: 1\n", "a: |\n  text\n", "a: >\n  text\n", "a: b\n  c\n", "a:\nb: 1\n",
        "a: 'multi\n  line'\n", "a: \"esc\\n\"\n", "a: [1,\n 2]\n", "a:\tb\n", "a: b\r\nc: d\r\n", "a: ü\n", "? a\n: b\n", "a: b\n...\n",
        "--- a\n", "a: b: c\n", "a: 1\n  b: 2\n", "- - a\n", "-\n  a\n", "a: [1, 2,]\n", "a: {b}\n", "a: {b:c}\n", "a: [b: c]\n",
        "a: b\n a: c\n", "a: 1\na: 2\n", "'a': 1\n", "{a: 1}\n", "scalar\n", "a : 1\n", "a: - b\n", "a: @b\n", "a: `b\n",
        "a: [x #c]\n", "a: 'x'y\n", "a: [x]y\n", "a: \"x\"#c\n", "a: [a]#c\n", "---x: 1\n", "a:\n- b\n c: 1\n",
        // Keys over libyaml's simple-key limit (1024 from the key's start to its `:`), which it refuses.
        "x: {" + String(repeating: "k", count: 1100) + ": v}\n", "x: {\"" + String(repeating: "k", count: 1100) + "\": v}\n",
        "x: {a" + String(repeating: " ", count: 1100) + ": v}\n", "- {" + String(repeating: "k", count: 1100) + ": v}\n",
        String(repeating: "k", count: 1100) + ": v\n",
        // Bytes outside printable ASCII: NUL and DEL.
        "a: b\u{0}c\n", "a: b\u{7F}c\n",
    ]

    @Test func readsTheSubsetExactlyAsLibyaml() {
        for text in Self.readable {
            #expect(Self.compare(text) == .read, "declined \(text.debugDescription)")
        }
        // Chunks: positions and document numbers count from where the chunk starts.
        #expect(Self.compare("---\na: 1\n---\nb: [2]\n", lineOffset: 40, documentsBefore: 7) == .read)
    }

    @Test func declinesWhatIsOutsideTheSubsetAndLibyamlStillReadsIt() throws {
        for text in Self.declined {
            #expect(Self.compare(text) == .declined, "read \(text.debugDescription)")
        }
        // A unit it declines is read by libyaml: the same errors as before.
        let file = SourceFile(path: "/x/a.yaml", displayPath: "a.yaml", contents: Data("a: 1\na: 2\n".utf8))
        let (_, problems) = YAMLUnit(file: file, chunk: nil, problem: nil).read()
        #expect(problems.map(\.code) == ["duplicate-key"])
        #expect(problems.first?.location == ConnSyncModel.SourceLocation(file: "a.yaml", line: 2, column: 1))
    }

    /// The bounds every read keeps, whichever reader meets them: nesting, size, encoding.
    @Test func tooDeepTooLargeOrNotUTF8IsRefusedWithItsCode() {
        func problems(_ contents: Data) -> [String] {
            YAMLReader.documents(of: SourceFile(path: "/x/a.yaml", displayPath: "a.yaml", contents: contents)).1.map(\.code)
        }
        let depth = YAMLReader.maximumDepth + 5
        // Flow nesting (the fast reader declines, libyaml reads) and block nesting (both readers).
        #expect(problems(Data(("a: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n").utf8)) == ["yaml-depth"])
        let block = (0..<depth).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " leaf\n"
        #expect(problems(Data(block.utf8)) == ["yaml-depth"])
        #expect(problems(Data([0x61, 0x3A, 0x20, 0xFF, 0xFE, 0x0A])) == ["yaml-encoding"])
        #expect(problems(Data(count: YAMLReader.maximumFileSize + 1)) == ["yaml-size"])
        // At the bounds, all is read.
        let shallow = YAMLReader.maximumDepth - 1
        #expect(problems(Data(("a: " + String(repeating: "[", count: shallow) + String(repeating: "]", count: shallow) + "\n").utf8)).isEmpty)
    }

    @Test func theExamplesAreReadFast() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") } ?? []
        #expect(files.count >= 5)
        var read = 0
        for name in files {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            if Self.compare(text) == .read { read += 1 }
        }
        // Most of them; the rest (a block scalar, say) is libyaml's.
        #expect(read * 2 >= files.count, "\(read) of \(files.count)")
    }

    /// Random edits of readable texts, with YAML's significant characters: wherever the fast
    /// reader still reads the text, libyaml reads the same tree; wherever libyaml fails, the
    /// fast reader declined (``compare`` checks both).
    @Test func randomEditsNeverReadDifferently() {
        var random = SplitMix(seed: 0x5EED)
        let alphabet = Array(" \n:-#'\"[]{},?&*!|>%@`.~ab0".utf8)
        var read = 0
        let rounds = 6_000
        for round in 0..<rounds {
            var bytes = Array(Self.readable[round % Self.readable.count].utf8)
            for _ in 0...(random.next() % 3) {
                let at = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes.insert(byte, at: at)
                case 1: if at < bytes.count { bytes.remove(at: at) }
                default: if at < bytes.count { bytes[at] = byte }
                }
            }
            if Self.compare(String(decoding: bytes, as: UTF8.self)) == .read { read += 1 }
        }
        // The edits must leave many texts readable, or this test would prove nothing.
        #expect(read > rounds / 5, "\(read) of \(rounds) read")
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
