import ConnSyncModel
import ConnSyncPlan
import Foundation

/// wix-data over HTTP: `GET /wix-data/v1/external-database-connections` pages by
/// `paging.limit` 100 and `paging.offset` (`pagingMetadata.total`; when the vendor
/// cannot count, pages are read one after another until a short page).
public struct WixDataProvider: Provider {
    public let config: ProviderConfig
    public let mapping: any VendorMapping = WixDataMapping()
    let http: VendorHTTP
    static let pageSize = 100

    public init(config: ProviderConfig, transport: any HTTPTransport) throws(ProviderError) {
        self.config = config
        http = try VendorHTTP(config: config, transport: transport)
    }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let http = self.http
        let fetch: @Sendable (Int) async throws(ProviderError) -> Value = { offset throws(ProviderError) in
            let response = try await http.send(
                "GET", "/wix-data/v1/external-database-connections?paging.limit=\(Self.pageSize)&paging.offset=\(offset)",
                operation: "observe")
            guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "observe") }
            return try http.json(response, operation: "observe")
        }
        let first = try await fetch(0)
        var items = first["externalDatabaseConnections"]?.arrayValue ?? []
        let tooMany = first[path: "pagingMetadata.tooManyToCount"]?.boolValue ?? false
        if !tooMany, let total = first[path: "pagingMetadata.total"]?.intValue, total > items.count, items.count > 0 {
            let pages = (total + Self.pageSize - 1) / Self.pageSize
            if pages > 1 {
                for page in try await http.fetchPages(1...(pages - 1), fetch: { page throws(ProviderError) in try await fetch(page * Self.pageSize) }) {
                    items += page["externalDatabaseConnections"]?.arrayValue ?? []
                }
            }
        } else if tooMany {
            var offset = items.count
            var last = items.count
            while last == Self.pageSize {
                let page = try await fetch(offset)
                let more = page["externalDatabaseConnections"]?.arrayValue ?? []
                items += more
                last = more.count
                offset += more.count
            }
        }
        return http.remoteObjects(items, mapping: mapping)
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        let (response, _) = try await http.sendChange(change)
        return ApplyResponse(status: response.status, remoteID: nil)
    }
}

/// Builds the provider of a vendor over a transport.
public enum ProviderFactory {
    public static func make(
        _ config: ProviderConfig, transport: any HTTPTransport, jobWait: JobWaitPolicy
    ) throws(ProviderError) -> any Provider {
        switch config.type {
        case .wiremockCloud: return try WireMockCloudProvider(config: config, transport: transport)
        case .lerianReporter: return try LerianReporterProvider(config: config, transport: transport, jobWait: jobWait)
        case .credibleData: return try CredibleDataProvider(config: config, transport: transport)
        case .datafor: return try DataforProvider(config: config, transport: transport)
        case .wixData: return try WixDataProvider(config: config, transport: transport)
        }
    }
}
