import ConnSyncModel
import ConnSyncPlan
import Foundation

/// wiremock-cloud over HTTP: `GET /v1/users/{userId}/database-connections` pages
/// (`limit` 100, `meta.totalPages`), `q` when a single name is asked for.
public struct WireMockCloudProvider: Provider {
    public let config: ProviderConfig
    public let mapping: any VendorMapping = WireMockCloudMapping()
    let http: VendorHTTP
    static let pageSize = 100

    public init(config: ProviderConfig, transport: any HTTPTransport, redactor: Redactor = .none) throws(ProviderError) {
        self.config = config
        http = try VendorHTTP(config: config, transport: transport, redactor: redactor)
    }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let userId = MappingSupport.pathSegment(config.userId ?? "")
        let query: String
        if let names, names.count == 1, let name = names.first {
            query = "limit=\(Self.pageSize)&q=\(MappingSupport.pathSegment(name))"
        } else {
            query = "limit=\(Self.pageSize)"
        }
        let name = config.name
        let objects = try await http.pagedList(
            key: "databaseConnections", mapping: mapping, pageSize: Self.pageSize,
            path: { "/v1/users/\(userId)/database-connections?page=\($0)&\(query)" }
        ) { first, items throws(ProviderError) in
            .known(
                try Paging.pages(
                    total: first[path: "meta.total"]?.intValue, totalPages: first[path: "meta.totalPages"]?.intValue,
                    firstPageCount: items.count, pageSize: Self.pageSize, operation: "observe", provider: name))
        }
        guard let names, names.count == 1 else { return objects }
        // `q` is a contains-filter: keep exact names only.
        return objects.filter { names.contains($0.name) }
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        let (response, _) = try await http.sendChange(change)
        // Only a create's answer holds an id connsync does not know yet.
        let id = change.action == .create ? (try? Value(json: response.body))?[path: "databaseConnection.id"]?.stringValue : nil
        return ApplyResponse(status: response.status, remoteID: id ?? change.remoteID)
    }
}
