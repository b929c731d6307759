import ConnSyncModel
import ConnSyncPlan
import Foundation

/// credible-data over HTTP: one `GET /api/v0/projects/{project}/connections` (a bare array, no paging).
public struct CredibleDataProvider: Provider {
    public let config: ProviderConfig
    public let mapping: any VendorMapping = CredibleDataMapping()
    let http: VendorHTTP

    public init(config: ProviderConfig, transport: any HTTPTransport, redactor: Redactor = .none) throws(ProviderError) {
        self.config = config
        http = try VendorHTTP(config: config, transport: transport, redactor: redactor)
    }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let project = MappingSupport.pathSegment(config.project ?? "")
        let response = try await http.send("GET", "/api/v0/projects/\(project)/connections", operation: "observe")
        guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "observe") }
        let list = try http.json(response, operation: "observe")
        guard let items = list.arrayValue else {
            throw ProviderError(
                kind: .invalidResponse, operation: "observe", provider: config.name, status: response.status,
                message: "expected a JSON array of connections")
        }
        return try http.remoteObjects(items, mapping: mapping)
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        let (response, _) = try await http.sendChange(change)
        return ApplyResponse(status: response.status, remoteID: nil)
    }
}
