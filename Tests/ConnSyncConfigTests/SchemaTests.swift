import ConnSyncConfig
import ConnSyncModel
import Foundation
import TestSupport
import Testing

// schemas/connsync-v1.schema.json is checked by an independent validator: Python's
// `jsonschema` (Draft 2020-12), installed from Debian's python3-jsonschema by
// scripts/install-deps.sh. The YAML is converted to JSON by connsync's own reader.

/// The repository root (this file is Tests/ConnSyncConfigTests/SchemaTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Validates each document against the schema; returns, per document, nil (valid) or the first error.
func schemaErrors(_ documents: [Value]) async throws -> [String?] {
    let schema = repositoryRoot.appendingPathComponent("schemas/connsync-v1.schema.json").path
    let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        out = []
        for document in json.load(sys.stdin):
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
            out.append(None if not errors else "/".join(str(p) for p in errors[0].path) + ": " + errors[0].message)
        print(json.dumps(out))
        """
    let python = try await pythonWithJSONSchema()
    let input = Value.array(documents).jsonString()
    let result = try await runProcess(python, ["-c", script, schema], stdin: input)
    guard result.status == 0 else { throw TestSupportError.failed("jsonschema: \(result)") }
    return try Value(json: result.stdout).arrayValue!.map { $0.stringValue }
}

/// A Python interpreter that can import jsonschema (Debian's first); the test fails without one.
func pythonWithJSONSchema() async throws -> String {
    for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        .split(separator: ":").map({ "\($0)/python3" })
    where FileManager.default.isExecutableFile(atPath: candidate) {
        if (try? await runProcess(candidate, ["-c", "import jsonschema"]))?.status == 0 { return candidate }
    }
    throw TestSupportError.notFound("python3 with jsonschema: run scripts/install-deps.sh (installs python3-jsonschema)")
}

@Suite("JSON Schema")
struct SchemaTests {
    @Test func everyExampleValidatesAgainstTheSchema() async throws {
        let examples = repositoryRoot.appendingPathComponent("examples")
        var documents: [Value] = []
        var names: [String] = []
        for case let file as URL in FileManager.default.enumerator(at: examples, includingPropertiesForKeys: nil)!
        where file.pathExtension == "yaml" || file.pathExtension == "yml" {
            guard !file.path.contains("/ci/"), !file.path.contains("/deploy/") else { continue }
            let values = try YAMLDocuments.values(of: try String(contentsOf: file, encoding: .utf8), file: file.lastPathComponent)
            documents += values
            names += values.map { _ in file.lastPathComponent }
        }
        #expect(documents.count >= 11)
        let errors = try await schemaErrors(documents)
        for (name, error) in zip(names, errors) {
            #expect(error == nil, "\(name): \(error ?? "")")
        }
    }

    /// The schema knows every secret reference: fromEnv, fromFile (age files included) and
    /// fromCommand, and refuses a command that is not a list of one-line strings.
    @Test func theSchemaKnowsEverySecretReference() async throws {
        func database(_ password: String) throws -> Value {
            try YAMLDocuments.values(of: "apiVersion: connsync/v1\nkind: Database\nmetadata: {name: x}\nspec:\n  password: \(password)\n")[0]
        }
        let valid = try [
            "{fromEnv: PW}", "{fromFile: secrets/pw.age}", "{fromCommand: [vault, kv, get, -field=password, secret/orders]}",
        ].map(database)
        #expect(try await schemaErrors(valid).allSatisfy { $0 == nil })
        let invalid = try ["{fromCommand: []}", "{fromCommand: vault}", "{fromCommand: [vault, 5]}", "{fromCommand: [\"a\\nb\"]}"].map(database)
        #expect(try await schemaErrors(invalid).allSatisfy { $0 != nil })
    }

    @Test func everyExampleFileDeclaresTheSchemaForEditors() throws {
        let examples = repositoryRoot.appendingPathComponent("examples")
        for case let file as URL in FileManager.default.enumerator(at: examples, includingPropertiesForKeys: nil)!
        where file.pathExtension == "yaml" && !file.path.contains("/ci/") && !file.path.contains("/deploy/") {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema="), "\(file.lastPathComponent)")
        }
    }

    /// The loader and the schema agree: every single-document case of the invalid table that
    /// does not depend on other documents is rejected by both.
    @Test func loaderAndSchemaAgreeOnInvalidDocuments() async throws {
        /// Cases only cross-document checks (or YAML parsing, or secret resolution) can catch.
        let loaderOnly: Set<String> = [
            "yamlSyntax", "duplicateKey", "unknownProvider", "unknownDatabase", "schemaAtDatafor", "sslAtWiremock",
            "mongodbAtWiremock", "inheritedMongodbAtDatafor", "wiremockMissingFields", "hostAtWix", "wixMissingEndpoint",
            "credibleNameWithDot", "credibleReservedName", "lerianNameTooShort", "duplicateProvider", "duplicateConnection",
            "unsetEnvSecret", "missingSecretFile", "badReferenceInOptions", "yamlAnchorAndAlias", "yamlAnchoredMapping", "baseURLWithCredentials",
            "sslOfAMysqlGrafanaDataSource", "certificatesOfAMetabaseDatabase",
        ]
        let checked = InvalidDocumentTests.cases.filter { !loaderOnly.contains($0.name) }
        #expect(checked.count >= 40)
        let documents = try checked.map { try YAMLDocuments.values(of: $0.document)[0] }
        let errors = try await schemaErrors(documents)
        for (invalid, error) in zip(checked, errors) {
            #expect(error != nil, "the schema accepts \(invalid.name), which the loader rejects")
        }
        // And both accept the valid base.
        let base = try YAMLDocuments.values(of: validBase)
        #expect(try await schemaErrors(base).allSatisfy { $0 == nil })
    }
}
