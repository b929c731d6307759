import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let datafor: VendorType = "datafor"
}

/// datafor: connections of a BI web app (the Provider's baseURL holds its prefix), HTTP Basic
/// (contracts.md, datafor.update.md).
enum Datafor {
    static let definition = VendorDefinition(rules: rules, mapping: DataforMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .datafor, fields: [.engine, .host, .port, .database, .username, .password], engines: Set(DataforMapping.engines.keys),
        requiredFields: [.engine, .host, .port, .database, .username],
        optionKeys: DataforMapping.table.keys.filter { $0.key != .password }, authKeys: ["username", "password"],
        requiredAuthKeys: ["username", "password"])

    static let apiPath = "/plugin/datafor-modeler/api/connection"

    /// One `GET …/connection/list` (no paging). Errors of add/update/delete arrive as HTTP 200
    /// with `success: false`: the answer's `success` is checked, not only its status.
    struct API: VendorAPI {
        var auth: AuthScheme { .basic }

        func listCall(_ config: ProviderConfig) -> ListCall {
            ListCall(
                items: .key("databaseConnections"),
                check: { answer, status, http in
                    answer["success"]?.boolValue == false ? rejection(answer, status: status, operation: "observe", http: http) : nil
                }
            ) { _, _ in "\(apiPath)/list" }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            VendorErrorText(code: envelope["code"]?.stringValue, message: envelope["msg"]?.stringValue ?? envelope["message"]?.stringValue ?? "")
        }

        func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse {
            let operation = VendorHTTP.operation(change)
            let answer = try http.json(response, operation: operation)
            guard answer["success"]?.boolValue == true else {
                throw rejection(answer, status: response.status, operation: operation, http: http)
            }
            return ApplyResponse(status: response.status, remoteID: change.remoteID)
        }
    }

    /// `{"success":false,"code":"500","msg":"CONNECTION_WRITE_FORBIDDEN: ..."}` → the prefix is the code.
    static func rejection(_ answer: Value, status: Int, operation: String, http: VendorHTTP) -> ProviderError {
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
            kind: kind, operation: operation, provider: http.config.name, status: status, code: code.map(http.clean),
            message: http.clean(message))
    }
}
