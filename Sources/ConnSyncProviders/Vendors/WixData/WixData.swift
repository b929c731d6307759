import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let wixData: VendorType = "wix-data"
}

/// wix-data: external database connections of a site, keyed by name, `Authorization: <token>`,
/// 200 requests a minute (contracts.md, wix-data.update.md).
enum WixData {
    static let definition = VendorDefinition(rules: rules, mapping: WixDataMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .wixData, fields: [], engines: [], defaultBaseURL: "https://www.wixapis.com", defaultRateLimit: RateLimit(count: 200, per: .minute),
        checks: [
            ConnectionCheck(needsWholeConnection: true) { facts in
                guard facts.options["endpoint"]?.stringValue == nil else { return nil }
                return .init(
                    code: "missing-field", field: "spec.options.endpoint",
                    message: "wix-data needs spec.options.endpoint (the URL of your external database adapter) and usually spec.options.configuration",
                    place: .spec)
            }
        ],
        unsupportedFieldHint: "wix-data connections are described by spec.options: endpoint and configuration")

    static let basePath = "/wix-data/v1/external-database-connections"
    static let pageSize = 100

    /// `GET /wix-data/v1/external-database-connections` pages by `paging.limit` 100 and
    /// `paging.offset` (`pagingMetadata.total`; when the vendor cannot count, pages are read
    /// one after another until a short page); errors are `{message, details}`.
    struct API: VendorAPI {
        var auth: AuthScheme { .token(header: "Authorization", prefix: "") }

        func listCall(_ config: ProviderConfig) -> ListCall {
            ListCall(
                items: .key("externalDatabaseConnections"),
                paging: .pages(size: pageSize, first: 0, count: PageCountRule(total: "pagingMetadata.total", uncounted: "pagingMetadata.tooManyToCount"))
            ) { page, _ in "\(basePath)?paging.limit=\(pageSize)&paging.offset=\(page * pageSize)" }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            var message = envelope["message"]?.stringValue ?? ""
            var code: String?
            if let application = envelope[path: "details.applicationError"] {
                code = application["code"]?.stringValue
                if let description = application["description"]?.stringValue { message += message.isEmpty ? description : ": \(description)" }
            } else if let violations = envelope[path: "details.validationError.fieldViolations"]?.arrayValue {
                let texts = violations.compactMap { violation -> String? in
                    guard let field = violation["field"]?.stringValue else { return nil }
                    return "\(field): \(violation["description"]?.stringValue ?? "invalid")"
                }
                if !texts.isEmpty { message += (message.isEmpty ? "" : ": ") + texts.joined(separator: "; ") }
            }
            return VendorErrorText(code: code, message: message)
        }
    }
}
