import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation

/// The benchmark's desired state and the remote objects that hold it, over every vendor of
/// the registry (round-robin): written as YAML the way a person would, and seeded at the
/// emulator in each vendor's own shape. Connections carry several labels (sent where the
/// vendor keeps them).
struct Fixture {
    let vendors: VendorRegistry
    let count: Int
    /// The emulator's root URL.
    let base: String
    let concurrency: Int

    /// The vendors the benchmark spreads its connections over (see VendorSamples.benchmarked).
    static let vendors = VendorRegistry(VendorRegistry.standard.definitions.filter(\.samples.benchmarked))

    /// The remote id of connection `index`.
    static func id(_ index: Int) -> String { String(format: "0199b8f3-d17d-7d2b-a192-%012x", index) }

    /// The benchmark's secrets, given to the child processes as variables.
    static let environment = ["BENCH_TOKEN": "bench-token", "BENCH_USER": "bench", "BENCH_DB_PASSWORD": "bench-db-password"]

    /// One Provider per vendor, named after its type.
    func providers() -> [ProviderConfig] {
        vendors.definitions.map { definition in
            let auth =
                definition.rules.authKeys.contains("username")
                ? ProviderAuth(username: .resolved("bench"), password: .resolved("bench-token"))
                : ProviderAuth(token: .resolved("bench-token"))
            return ProviderConfig(
                name: definition.type.rawValue, type: definition.type, baseURL: base + definition.samples.basePath, auth: auth,
                settings: definition.samples.benchSettings, concurrency: concurrency, rateLimit: RateLimit(count: 100_000, per: .second))
        }
    }

    /// The shared Database every field-holding connection inherits (its own database name aside).
    static func shared(host: String) -> DatabaseFields {
        DatabaseFields(
            engine: .postgresql, host: host, port: 5432, username: "app",
            password: .resolved("bench-db-password", source: .environment("BENCH_DB_PASSWORD")))
    }

    /// The desired connections: `conn-00000` … round-robin over the vendors.
    func connections(host: String) -> [DesiredConnection] {
        let definitions = vendors.definitions
        return (0..<count).map { index in
            let definition = definitions[index % definitions.count]
            let address = Address(provider: definition.type.rawValue, name: String(format: "conn-%05d", index))
            if let options = definition.samples.benchOptions {
                return DesiredConnection(address: address, vendor: definition.type, options: options(index, host))
            }
            var fields = Self.shared(host: host)
            fields.database = "db\(index % 50)"
            fields.schema = nil
            // What the vendor cannot hold is skipped, as the loader does for inherited fields.
            for field in fields.setFields where !definition.rules.fields.contains(field) { fields = fields.removing(field) }
            return DesiredConnection(address: address, vendor: definition.type, labels: Self.labels(index), fields: fields)
        }
    }

    static func labels(_ index: Int) -> [String: String] {
        ["team": "data", "tier": index % 3 == 0 ? "gold" : "silver", "owner": "platform", "cost-center": "cc-\(index % 20)"]
    }

    /// The emulator's seed: every desired connection as its vendor holds it.
    func seed(host: String) -> Value {
        let providers = Dictionary(uniqueKeysWithValues: providers().map { ($0.name, $0) })
        var seed: [String: [Value]] = [:]
        for (index, connection) in connections(host: host).enumerated() {
            guard let definition = vendors.definition(for: connection.vendor), let provider = providers[connection.address.provider] else { continue }
            let object = definition.samples.benchRemoteExtras.merging(definition.mapping.vendorObject(for: connection, provider: provider))
            let id = Self.id(index)
            seed[definition.type.rawValue, default: []].append(definition.samples.benchSeed(object, id, connection.name))
        }
        return .object(seed.mapValues(Value.array))
    }

    // MARK: - YAML

    /// How the documents are spread over files.
    enum Layout: String, CaseIterable {
        /// Every document in one file.
        case oneFile = "one-file"
        /// One file per connection.
        case perConnection = "per-connection"
    }

    /// Writes the desired state under `folder`, replacing what was there.
    func write(to folder: URL, layout: Layout, host: String) throws {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var head = ""
        for provider in providers() { head += providerDocument(provider) }
        head += "---\napiVersion: connsync/v1\nkind: Database\nmetadata: {name: shared}\n"
        head += "spec: {engine: postgresql, host: \(host), port: 5432, username: app, password: {fromEnv: BENCH_DB_PASSWORD}}\n"
        let documents = connections(host: host).map(connectionDocument)
        switch layout {
        case .oneFile:
            try Data((head + documents.joined()).utf8).write(to: folder.appendingPathComponent("desired.yaml"))
        case .perConnection:
            try Data(head.utf8).write(to: folder.appendingPathComponent("providers.yaml"))
            for (index, document) in documents.enumerated() {
                let sub = folder.appendingPathComponent("connections/\(index / 1000)")
                if index % 1000 == 0 { try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) }
                try Data(document.utf8).write(to: sub.appendingPathComponent(String(format: "conn-%05d.yaml", index)))
            }
        }
    }

    func providerDocument(_ provider: ProviderConfig) -> String {
        var text = "---\napiVersion: connsync/v1\nkind: Provider\nmetadata: {name: \(provider.name)}\nspec:\n  type: \(provider.type)\n"
        text += "  baseURL: \(provider.baseURL ?? "")\n"
        text += provider.auth.username != nil
            ? "  auth: {username: {fromEnv: BENCH_USER}, password: {fromEnv: BENCH_TOKEN}}\n" : "  auth: {token: {fromEnv: BENCH_TOKEN}}\n"
        for (key, value) in provider.settings.sorted(by: { $0.key < $1.key }) { text += "  \(key): \(value)\n" }
        text += "  concurrency: \(provider.concurrency)\n  rateLimit: 100000/s\n"
        return text
    }

    func connectionDocument(_ connection: DesiredConnection) -> String {
        var text = "---\napiVersion: connsync/v1\nkind: Connection\nmetadata:\n  name: \(connection.name)\n"
        if !connection.labels.isEmpty {
            text += "  labels: {" + connection.labels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        }
        text += "spec:\n  provider: \(connection.address.provider)\n"
        if connection.options.objectValue?.isEmpty == false {
            text += "  options: \(connection.options.jsonString())\n"
        } else {
            text += "  databaseRef: shared\n  database: \(connection.fields.database ?? "")\n"
        }
        return text
    }
}
