import ConnSyncConfig
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

@Suite(".connsyncignore")
struct IgnoreRulesTests {
    @Test(arguments: [
        ("ci/github.yml", true), ("deploy/k8s/app.yaml", true), ("nested/ci/x.yaml", true), ("cid/x.yaml", false),
        ("manifests/app.k8s.yaml", true), ("app.k8s.yaml", true), ("connections/orders.yaml", false), ("root-only.yaml", true),
        ("sub/root-only.yaml", false),
    ])
    func patterns(_ path: String, _ ignored: Bool) {
        let rules = IgnoreRules(text: "# comment\nci/\n/deploy/\n*.k8s.yaml\n\n/root-only.yaml\n")
        #expect(rules.ignores(path) == ignored, "\(path)")
    }

    @Test func aDirectorySourceLeavesIgnoredFilesOut() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("ci/\n*.k8s.yaml\n", to: ".connsyncignore")
        try directory.write("name: pipeline\non: [push]\n", to: "ci/pipeline.yml")
        try directory.write("apiVersion: apps/v1\nkind: Deployment\n", to: "deploy.k8s.yaml")
        try directory.write("apiVersion: connsync/v1\nkind: Database\nmetadata: {name: a}\nspec: {}\n", to: "db.yaml")
        let result = DesiredStateLoader(options: LoadOptions(resolveSecrets: false), resolver: StandardSecretResolver(environment: [:]), vendors: VendorRegistry.standard.catalog)
            .load(from: DirectorySource(directory: directory.path))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.state?.databases.map(\.name) == ["a"])
    }
}
