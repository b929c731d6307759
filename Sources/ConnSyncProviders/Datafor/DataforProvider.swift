import ConnSyncModel
import ConnSyncPlan
import Foundation

/// datafor over HTTP: one `GET …/connection/list` (no paging). Errors of
/// add/update/delete arrive as HTTP 200 with `success: false`: the answer's
/// `success` is checked, not only its status.
public struct DataforProvider: Provider {
    public let config: ProviderConfig
    public let mapping: any VendorMapping = DataforMapping()
    let http: VendorHTTP

    public init(config: ProviderConfig, transport: any HTTPTransport, redactor: Redactor = .none) throws(ProviderError) {
        self.config = config
        http = try VendorHTTP(config: config, transport: transport, redactor: redactor)
    }

    public func observe(names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let response = try await http.send("GET", "/plugin/datafor-modeler/api/connection/list", operation: "observe")
        guard VendorHTTP.isSuccess(response.status) else { throw http.failure(response, operation: "observe") }
        let list = try http.json(response, operation: "observe")
        if list["success"]?.boolValue == false {
            throw rejection(list, status: response.status, operation: "observe")
        }
        let items = try Paging.items(list, key: "databaseConnections", operation: "observe", provider: config.name)
        return try http.remoteObjects(items, mapping: mapping)
    }

    public func apply(_ change: Change) async throws(ProviderError) -> ApplyResponse {
        let (response, operation) = try await http.sendChange(change)
        let answer = try http.json(response, operation: operation)
        guard answer["success"]?.boolValue == true else {
            throw rejection(answer, status: response.status, operation: operation)
        }
        return ApplyResponse(status: response.status, remoteID: change.remoteID)
    }

    /// `{"success":false,"code":"500","msg":"CONNECTION_WRITE_FORBIDDEN: ..."}` → the prefix is the code.
    func rejection(_ answer: Value, status: Int, operation: String) -> ProviderError {
        let text = answer["msg"]?.stringValue ?? answer["message"]?.stringValue ?? "the vendor answered success: false"
        var code = answer["code"]?.stringValue
        var message = text
        if let colon = text.firstIndex(of: ":") {
            let prefix = text[..<colon]
            if !prefix.isEmpty, prefix.allSatisfy({ $0.isUppercase || $0 == "_" }) {
                code = String(prefix)
                message = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let kind: ProviderError.Kind = (code ?? "").hasSuffix("FORBIDDEN") || code == "LOCAL_CONNECTION_ADMIN_ONLY" ? .forbidden : .rejected
        return ProviderError(
            kind: kind, operation: operation, provider: config.name, status: status, code: code.map(http.clean),
            message: http.clean(message))
    }
}
