import ConnSyncModel
import Foundation
import TestSupport
import Testing

/// The README's quick start works as written, against the emulator.
@Suite("README quick start")
struct QuickStartTests {
    /// The first fenced block after `marker` in the README.
    static func block(after marker: String) throws -> String {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: marker)).upperBound
        let open = try #require(readme.range(of: "```", range: start..<readme.endIndex))
        let body = try #require(readme.range(of: "\n", range: open.upperBound..<readme.endIndex)).upperBound
        let close = try #require(readme.range(of: "\n```", range: body..<readme.endIndex)).lowerBound
        return String(readme[body..<close])
    }

    @Test func theQuickStartPlansAppliesAndConverges() async throws {
        try await Workspace.with { workspace in
            let yaml = try Self.block(after: "<!-- quickstart:yaml -->").replacingOccurrences(of: "http://127.0.0.1:8181", with: workspace.base)
            try workspace.directory.write(yaml, to: "quickstart/connsync.yaml")
            let seed = try Self.block(after: "<!-- quickstart:seed -->")
            let json = try #require(seed.range(of: "-d '").map { seed[$0.upperBound...] }).split(separator: "'").first.map(String.init)
            try await workspace.seed(try Value(json: try #require(json)))
            let folder = workspace.directory.url.appendingPathComponent("quickstart").path
            // The emulator of the workspace has credentials: give the quick start's variables those.
            workspace.environment["ORDERS_DB_PASSWORD"] = TestSecrets.ordersPassword
            #expect(try await workspace.run(["validate", "--dir", folder]).status == 0)
            let plan = try await workspace.run(["plan", "--dir", folder])
            #expect(plan.stdout.contains("~ wm/orders  update in place (PATCH)"), "\(plan)")
            #expect(plan.stdout.contains("+ rep/orders-reporting  create (POST)"))
            #expect(plan.stdout.contains("+ gf/orders  create (POST)"))
            #expect(try await workspace.run(["apply", "--dir", folder, "--auto-approve"]).status == 0)
            #expect(try await workspace.run(["plan", "--dir", folder]).stdout.contains("No changes. 3 connections up to date."))
        }
    }
}
