import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let wiremockCloud: VendorType = "wiremock-cloud"
}

/// wiremock-cloud: database connections of a user, `Authorization: Token <key>`
/// (contracts.md, wiremock-cloud.update.md).
enum WireMockCloud {
    static let definition = VendorDefinition(rules: rules, mapping: WireMockCloudMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .wiremockCloud, fields: [.engine, .host, .port, .database, .username, .password],
        engines: WireMockCloudMapping.table.engines.engines, requiredFields: [.engine, .host, .port, .database, .username],
        optionKeys: WireMockCloudMapping.table.keys.filter { $0.key != .password }, defaultBaseURL: "https://api.wiremock.cloud",
        settings: [VendorSetting("userId", .required("lists and creates connections under a user id"))])

    /// `/v1/users/{userId}`: where a Provider's connections are listed and created.
    static func userPath(_ provider: ProviderConfig) -> String {
        "/v1/users/\(MappingSupport.pathSegment(provider.settings["userId"] ?? ""))"
    }

    static let pageSize = 100

    /// `GET /v1/users/{userId}/database-connections` pages (`limit` 100, `meta.total`,
    /// `meta.totalPages`), `q` (a contains-filter) when a single name is asked for; the id a
    /// create got is `databaseConnection.id`; errors are `{"errors": [{code, title, detail}]}`.
    struct API: VendorAPI {
        var auth: AuthScheme { .token(header: "Authorization", prefix: "Token ") }

        func listCall(_ config: ProviderConfig) -> ListCall {
            let base = "\(userPath(config))/database-connections"
            return ListCall(
                items: .key("databaseConnections"), paging: .pages(size: pageSize, first: 1, count: PageCountRule(total: "meta.total", totalPages: "meta.totalPages")),
                filtersByName: true
            ) { page, name in
                "\(base)?page=\(page)&limit=\(pageSize)" + (name.map { "&q=\(MappingSupport.pathSegment($0))" } ?? "")
            }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            if let first = envelope["errors"]?.arrayValue?.first {
                return VendorErrorText(
                    code: first["code"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) },
                    message: [first["title"]?.stringValue, first["detail"]?.stringValue].compactMap { $0 }.joined(separator: ": "))
            }
            return VendorErrorText(message: envelope["message"]?.stringValue ?? VendorHTTP.bodyText(body))
        }

        func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse {
            MappingSupport.createdID(change, response, at: "databaseConnection.id")
        }
    }
}
