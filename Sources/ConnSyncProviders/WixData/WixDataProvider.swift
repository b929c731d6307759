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
        let http = self.http
        let fetch: @Sendable (Int) async throws(ProviderError) -> Value = { offset throws(ProviderError) in
            let response = try await http.send(
                "GET", "/wix-data/v1/external-database-connections?paging.limit=\(Self.pageSize)&paging.offset=\(offset)",
                operation: "observe")
            guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "observe") }
            return try http.json(response, operation: "observe")
        }
        let name = config.name
        let key = "externalDatabaseConnections"
        let first = try await fetch(0)
        var items = try Paging.items(first, key: key, operation: "observe", provider: name)
        var repeats = RepeatedPageDetector()
        try repeats.record(items, mapping: mapping, page: 1, provider: name)
        let tooMany = first[path: "pagingMetadata.tooManyToCount"]?.boolValue ?? false
        if !tooMany, let total = first[path: "pagingMetadata.total"]?.intValue {
            let pages = try Paging.pages(
                total: total, totalPages: nil, firstPageCount: items.count, pageSize: Self.pageSize, operation: "observe", provider: name)
            if pages > 1 {
                let rest = try await http.fetchPages(1...(pages - 1), fetch: { page throws(ProviderError) in try await fetch(page * Self.pageSize) })
                for (offset, page) in rest.enumerated() {
                    let more = try Paging.items(page, key: key, operation: "observe", provider: name)
                    try repeats.record(more, mapping: mapping, page: offset + 2, provider: name)
                    items += more
                }
            }
        } else if tooMany {
            // The vendor cannot count: pages one after another until a short one, a repeated
            // one, or the page limit.
            var last = items.count
            var page = 1
            while last == Self.pageSize {
                page += 1
                guard page <= Paging.maximumPages else {
                    throw ProviderError(
                        kind: .invalidResponse, operation: "observe", provider: name,
                        message: "the vendor's list goes on past \(Paging.maximumPages) pages; connsync stopped reading it")
                }
                let more = try Paging.items(try await fetch(items.count), key: key, operation: "observe", provider: name)
                try repeats.record(more, mapping: mapping, page: page, provider: name)
                items += more
                last = more.count
            }
        }
        return try http.remoteObjects(items, mapping: mapping)
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
