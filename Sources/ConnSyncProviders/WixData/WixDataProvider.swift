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

    public init(config: ProviderConfig, transport: any HTTPTransport, redactor: Redactor = .none) throws(ProviderError) {
        self.config = config
        http = try VendorHTTP(config: config, transport: transport, redactor: redactor)
    }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let name = config.name
        return try await http.pagedList(
            key: "externalDatabaseConnections", mapping: mapping, pageSize: Self.pageSize, firstPage: 0,
            path: { "/wix-data/v1/external-database-connections?paging.limit=\(Self.pageSize)&paging.offset=\($0 * Self.pageSize)" }
        ) { first, items throws(ProviderError) in
            // When the vendor cannot count, pages are read one after another until a short one.
            if first[path: "pagingMetadata.tooManyToCount"]?.boolValue == true { return .untilShortPage }
            return .known(
                try Paging.pages(
                    total: first[path: "pagingMetadata.total"]?.intValue, totalPages: nil, firstPageCount: items.count, pageSize: Self.pageSize,
                    operation: "observe", provider: name))
        }
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        let (response, _) = try await http.sendChange(change)
        return ApplyResponse(status: response.status, remoteID: nil)
    }
}

/// Builds the provider of a vendor over a transport.
public enum ProviderFactory {
    public static func make(
        _ config: ProviderConfig, transport: any HTTPTransport, jobWait: JobWaitPolicy, redactor: Redactor = .none
    ) throws(ProviderError) -> any Provider {
        switch config.type {
        case .wiremockCloud: return try WireMockCloudProvider(config: config, transport: transport, redactor: redactor)
        case .lerianReporter: return try LerianReporterProvider(config: config, transport: transport, jobWait: jobWait, redactor: redactor)
        case .credibleData: return try CredibleDataProvider(config: config, transport: transport, redactor: redactor)
        case .datafor: return try DataforProvider(config: config, transport: transport, redactor: redactor)
        case .wixData: return try WixDataProvider(config: config, transport: transport, redactor: redactor)
        }
    }
}
