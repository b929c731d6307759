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
        let http = self.http
        let fetch: @Sendable (Int) async throws(ProviderError) -> Value = { page throws(ProviderError) in
            let response = try await http.send(
                "GET", "/v1/users/\(userId)/database-connections?page=\(page)&\(query)", operation: "observe")
            guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "observe") }
            return try http.json(response, operation: "observe")
        }
        let name = config.name
        let first = try await fetch(1)
        var items = try Paging.items(first, key: "databaseConnections", operation: "observe", provider: name)
        let totalPages = try Paging.pages(
            total: first[path: "meta.total"]?.intValue, totalPages: first[path: "meta.totalPages"]?.intValue, firstPageCount: items.count,
            pageSize: Self.pageSize, operation: "observe", provider: name)
        if totalPages > 1 {
            var repeats = RepeatedPageDetector()
            try repeats.record(items, mapping: mapping, page: 1, provider: name)
            for (offset, page) in try await http.fetchPages(2...totalPages, fetch: fetch).enumerated() {
                let more = try Paging.items(page, key: "databaseConnections", operation: "observe", provider: name)
                try repeats.record(more, mapping: mapping, page: offset + 2, provider: name)
                items += more
            }
        }
        let objects = try http.remoteObjects(items, mapping: mapping)
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
