import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let grafana: VendorType = "grafana"
}

/// grafana: data sources of one organization, `Authorization: Bearer <service-account token>`
/// (grafana.contract.md; config-format.md v1.1). The Provider's baseURL is the server root,
/// with any sub-path.
enum Grafana {
    static let definition = VendorDefinition(rules: rules, mapping: GrafanaMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .grafana, fields: [.engine, .host, .port, .database, .username, .password, .ssl], engines: GrafanaMapping.engines.engines,
        requiredFields: [.engine, .host, .port, .database, .username],
        optionKeys: [.engine: "type", .host: "url", .port: "url", .username: "user"],
        checks: [
            ConnectionCheck { facts in
                guard facts.fields.engine == .mysql, facts.ownFields.contains(.ssl) else { return nil }
                return .init(
                    code: "unsupported-field", field: "spec.ssl",
                    message: "grafana holds ssl.mode only for postgresql (jsonData.sslmode); for mysql set jsonData.tlsAuth and its keys under spec.options",
                    place: .field(.ssl))
            }
        ])

    static let basePath = "/api/datasources"
    /// `[datasources] datasource_limit`'s default: the list is cut there, silently.
    static let listCap = 5000

    static func uidPath(_ uid: String) -> String {
        "\(basePath)/uid/\(MappingSupport.pathSegment(uid))"
    }

    static func namePath(_ name: String) -> String {
        "\(basePath)/name/\(MappingSupport.pathSegment(name))"
    }

    /// One `GET /api/datasources`: a bare array, no paging; errors are `{"message"}` (or
    /// `{statusCode, messageId, message}`); writes go through ``send(_:http:)``.
    struct API: VendorAPI {
        var auth: AuthScheme { .token(header: "Authorization", prefix: "Bearer ") }
        var missingIsDeleted: Bool { true }

        func listCall(_ config: ProviderConfig) -> ListCall {
            ListCall(items: .array) { _, _ in basePath }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            guard let message = envelope["message"]?.stringValue else { return VendorErrorText(message: VendorHTTP.bodyText(body)) }
            return VendorErrorText(code: envelope["messageId"]?.stringValue, message: message)
        }

        func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse {
            MappingSupport.createdID(change, response, at: "datasource.uid")
        }

        func send(_ change: Change, http: VendorHTTP) async throws(ProviderError) -> ApplyResponse {
            switch change.action {
            case .create: return try await GrafanaWrites(http: http, change: change).create()
            case .update, .replace: return try await GrafanaWrites(http: http, change: change).update()
            default:
                do {
                    return ApplyResponse(status: try await http.sendChange(change).status, remoteID: change.remoteID)
                } catch where error.status == 404 {
                    return ApplyResponse(status: 404, remoteID: change.remoteID)
                }
            }
        }
    }
}
