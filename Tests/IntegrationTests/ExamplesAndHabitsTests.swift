import ConnSyncConfig
import ConnSyncModel
import Foundation
import TestSupport
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Every `connsync SUBCOMMAND --flag ...` in a text (shell lines, with `\` continuations joined).
func connsyncInvocations(in text: String) -> [(command: [String], flags: [String])] {
    let joined = text.replacingOccurrences(of: "\\\n", with: " ")
    var result: [(command: [String], flags: [String])] = []
    for line in joined.split(separator: "\n") {
        var rest = Substring(line)
        while let range = rest.range(of: #"(^|[\s;(&|])connsync\s"#, options: .regularExpression) {
            rest = rest[range.upperBound...]
            let tokens = rest.prefix { !";|&>".contains($0) }.split(separator: " ").map(String.init)
            // `--path connsync` names a folder, not a command.
            guard let first = tokens.first, first.first?.isLetter == true else { continue }
            var command: [String] = []
            for token in tokens {
                guard !token.hasPrefix("-"), !token.contains("/"), !token.contains("$"), !token.contains("\""), command.count < 2 else { break }
                if command.isEmpty || command == ["state"] { command.append(token) } else { break }
            }
            let flags = tokens.filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=")[0]) }
            result.append((command, flags))
        }
    }
    return result
}

@Suite("Examples, CI files and a person's habits")
struct ExamplesAndHabitsTests {
    @Test(arguments: ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml", "examples/deploy/kubernetes.yaml"])
    func ciAndDeploymentFilesParseAndUseOnlyRealCommandsAndFlags(_ path: String) async throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let documents = try YAMLDocuments.values(of: text, file: path)
        #expect(!documents.isEmpty)
        var strings: [String] = []
        func collect(_ value: Value) {
            switch value {
            case .string(let text): strings.append(text)
            case .array(let items): items.forEach(collect)
            case .object(let fields): fields.values.forEach(collect)
            default: break
            }
        }
        documents.forEach(collect)
        // Kubernetes args are a list: join them into one command line.
        if path.hasSuffix("kubernetes.yaml") {
            let args = documents.first?[path: "spec.template.spec.containers[0].args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            strings.append("connsync " + args.joined(separator: " "))
        }
        let invocations = strings.flatMap { connsyncInvocations(in: $0) }
        #expect(!invocations.isEmpty, "no connsync command in \(path)")
        var helpCache: [String: String] = [:]
        for invocation in invocations {
            #expect(!invocation.command.isEmpty, "\(path): a connsync line without a subcommand")
            let key = invocation.command.joined(separator: " ")
            if helpCache[key] == nil {
                let help = try await runConnsync(invocation.command + ["--help"])
                #expect(help.status == 0, "\(path): `connsync \(key)` is not a command")
                helpCache[key] = help.stdout
            }
            for flag in invocation.flags {
                #expect(helpCache[key]!.contains(flag), "\(path): `connsync \(key)` has no \(flag)")
            }
        }
    }

    @Test func theSystemdUnitUsesRealFlags() async throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("examples/deploy/connsync-watch.service"), encoding: .utf8)
        let execStart = text.split(separator: "\n").drop { !$0.hasPrefix("ExecStart=") }.prefix { $0.hasPrefix("ExecStart=") || $0.hasPrefix("    ") }
            .joined(separator: "\n").replacingOccurrences(of: "ExecStart=/usr/local/bin/", with: "")
        let invocations = connsyncInvocations(in: execStart)
        #expect(invocations.count == 1)
        let help = try await runConnsync(["watch", "--help"])
        for flag in invocations.first?.flags ?? [] { #expect(help.stdout.contains(flag), "no \(flag)") }
    }

    @Test func versionAndCompletionScripts() async throws {
        let version = try await runConnsync(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ConnSyncVersion.current)
        for shell in ["bash", "zsh", "fish"] {
            let script = try await runConnsync(["--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.stdout.contains("connsync"))
            #expect(script.stdout.contains("plan") && script.stdout.contains("apply") && script.stdout.contains("import"))
        }
    }

    @Test func noProgressLineWhenStderrIsNotATerminal() async throws {
        try await Workspace.with { workspace in
            try workspace.writeConfig(Workspace.connection("orders", provider: "wm"))
            let apply = try await workspace.apply()
            #expect(apply.status == 0)
            #expect(!apply.stderr.contains("\r"))
            #expect(!apply.stderr.contains("observing"))
            #expect(!apply.stdout.contains("\u{1B}["))
        }
    }

    @Test func everyCommandHasHelp() async throws {
        for command in [["validate"], ["plan"], ["apply"], ["import"], ["watch"], ["emulator"], ["demo"], ["state"], ["state", "list"], ["state", "unlock"]] {
            let help = try await runConnsync(command + ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE:"))
        }
    }

    @Test func theDemoConverges() async throws {
        let demo = try await runConnsync(["demo", "--dir", repositoryRoot.appendingPathComponent("examples").path, "--no-color"])
        #expect(demo.status == 0, "\(demo)")
        #expect(demo.stdout.contains("Plan: 1 to create, 6 to update, 0 to delete, 0 unchanged."))
        #expect(demo.stdout.contains("Apply complete: 1 created, 6 updated, 0 deleted, 0 failed."))
        #expect(demo.stdout.contains("No changes. 7 connections up to date."))
        #expect(
            leakedSecrets(
                in: demo.stdout + demo.stderr,
                secrets: [
                    "demo-orders-password-2026", "2b723306-4d74-42a2-8438-2ff40da3e6b6", "demo-wix-token", "demo-datafor-password",
                    "demo-grafana-service-account-token", "demo-metabase-api-key",
                ]
            ).isEmpty)
    }

    @Test func validateTheExamplesAsCIWould() async throws {
        let dir = repositoryRoot.appendingPathComponent("examples").path
        let text = try await runConnsync(["validate", "--dir", dir])
        #expect(text.status == 0)
        #expect(text.stdout == "Valid: 7 providers, 1 database, 7 connections.\n")
        let json = try Value(json: try await runConnsync(["validate", "--dir", dir, "--format", "json"]).stdout)
        #expect(json["valid"] == true)
        let unresolved = try await runConnsync(["validate", "--dir", dir, "--resolve-secrets"], environment: ["WIREMOCK_TOKEN": nil])
        #expect(unresolved.status == 1)
        #expect(unresolved.stderr.contains("environment variable WIREMOCK_TOKEN is not set"))
    }
}
