import ConnSyncModel
import ConnSyncPlan

/// wix-data: external database connections keyed by name; PUT is a **full
/// replacement** (the connection then holds only what was sent), so every remote
/// key the desired state lacks is shown as removed. `connectionStatus`,
/// `publicKey` and `capabilities` are read-only and never diffed or sent.
public struct WixDataMapping: VendorMapping {
    public init() {}

    public var vendor: VendorType { .wixData }
    public var updateAction: Action { .replace }
    public var identityKeys: IdentityKeys { IdentityKeys(name: "name") }
    public var removalNote: String { "not in desired state: removed by PUT" }

    static let readOnly: Set<String> = ["connectionStatus", "publicKey", "capabilities"]
    static let notCompared: Set<String> = readOnly.union(["name"])

    public func normalize(_ raw: Value) -> Value {
        raw.removingKeys(Self.notCompared)
    }

    public func vendorObject(for connection: DesiredConnection, provider: ProviderConfig) -> Value {
        let object: Value = ["name": .string(connection.name)]
        return object.merging(connection.options.removingKeys(Self.readOnly)).merging(["name": .string(connection.name)])
    }

    public func exactPaths(desired: Value) -> [FieldPath] {
        [.root]
    }

    public func isWriteOnly(_ path: FieldPath) -> Bool {
        false
    }

    private let base = WixData.basePath

    public func createRequest(object: Value, connection: DesiredConnection, provider: ProviderConfig) throws(MappingError) -> RequestSpec {
        RequestSpec(method: "POST", path: base, body: ["externalDatabaseConnection": object, "connectionType": "STANDALONE"])
    }

    public func updateRequest(_ context: UpdateContext) throws(MappingError) -> RequestSpec {
        RequestSpec(
            method: "PUT", path: "\(base)/\(MappingSupport.pathSegment(context.remote.name))",
            body: ["externalDatabaseConnection": context.desiredObject])
    }

    public func deleteRequest(remote: RemoteObject, provider: ProviderConfig) -> RequestSpec {
        RequestSpec(method: "DELETE", path: "\(base)/\(MappingSupport.pathSegment(remote.name))")
    }
}
