import ConnSyncModel
import ConnSyncPlan
import Foundation
import Testing

/// The differ's cases as golden config/live pairs (as gitops-engine's `pkg/diff/testdata`):
/// each folder of `Fixtures/diff` holds `config.json` (the desired view; `{"$secret": v}` is
/// a resolved secret), `live.json` (the remote view), an optional `case.txt` (`exact:`,
/// `write-only:`, `secret-keys:` lines of comma-separated paths or keys; `.` is the root)
/// and `expected.txt`, the diff lines, masked as every view shows them.
@Suite("Differ: golden config/live pairs")
struct DifferFixtureTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/diff")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test func everyCaseIsThere() {
        #expect(Self.cases.count >= 10)
    }

    @Test(arguments: cases)
    func diff(_ name: String) throws {
        let dir = Self.folder.appendingPathComponent(name)
        let desired = Self.secrets(try Value(json: Data(contentsOf: dir.appendingPathComponent("config.json"))))
        let live = try Value(json: Data(contentsOf: dir.appendingPathComponent("live.json")))
        var settings: [String: [String]] = [:]
        if let text = try? String(contentsOf: dir.appendingPathComponent("case.txt"), encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                settings[parts[0]] = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        let exact = (settings["exact"] ?? []).map { $0 == "." ? FieldPath.root : FieldPath(parsing: $0) }
        let writeOnly = Set((settings["write-only"] ?? []).map(FieldPath.init(parsing:)))
        let differ = Differ(
            exactPaths: exact, removalNote: "not in desired state: cleared by the update",
            sensitivity: Sensitivity(secretKeyNames: Set(settings["secret-keys"] ?? [])), skip: { writeOnly.contains($0) })
        let expected = try String(contentsOf: dir.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(differ.diff(desired: desired, remote: live).map(Self.line) == expected, "\(name)")
    }

    /// A diff as a line: masked values for sensitive ones, the note after `#`.
    static func line(_ diff: FieldDiff) -> String {
        func shown(_ value: Value?) -> String {
            guard let value else { return "-" }
            return diff.isSensitive ? "(sensitive)" : value.description
        }
        return "\(diff.kind.rawValue) \(diff.path): \(shown(diff.before)) -> \(shown(diff.after))" + (diff.note.map { "   # \($0)" } ?? "")
    }

    /// `{"$secret": v}` leaves as resolved secrets.
    static func secrets(_ value: Value) -> Value {
        switch value {
        case .object(let fields):
            if fields.count == 1, let text = fields["$secret"]?.stringValue {
                return .secret(.resolved(text, source: .environment("FIXTURE_SECRET")))
            }
            return .object(fields.mapValues(secrets))
        case .array(let items): return .array(items.map(secrets))
        default: return value
        }
    }
}
