import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let lerianReporter: VendorType = "lerian-reporter"
}

/// lerian-reporter: connections of a tenant (`X-Tenant-ID`), `Authorization: Bearer <jwt>`
/// when the deployment wants one (contracts.md, lerian-reporter.update.md).
enum LerianReporter {
    static let definition = VendorDefinition(rules: rules, mapping: LerianReporterMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .lerianReporter, fields: Set(CommonField.allCases), engines: LerianReporterMapping.table.engines.engines,
        requiredFields: [.engine, .host, .port, .database, .username],
        optionKeys: LerianReporterMapping.table.keys.filter { [.engine, .host, .port, .database, .username].contains($0.key) },
        holdsLabels: true, requiredAuthKeys: [],
        settings: [
            VendorSetting(
                "productName",
                .recommended("needed to create connections (sent as X-Product-Name): without it, plan and apply can update and delete but not create"),
                format: .identifier(maximumLength: 100)),
            VendorSetting("tenantId", format: .singleLine),
        ],
        checks: [
            ConnectionCheck { facts in
                guard facts.name.count < 3 else { return nil }
                return .init(
                    code: "vendor-name", field: "metadata.name", message: "lerian-reporter connection names (configName) need at least 3 characters",
                    place: .name)
            },
            ConnectionCheck { facts in
                guard let ssl = facts.fields.ssl, ssl.mode == nil else { return nil }
                return .init(code: "missing-field", field: "spec.ssl.mode", message: "lerian-reporter needs ssl.mode when ssl is given", place: .field(.ssl))
            },
        ])

    /// `X-Tenant-ID` when the Provider names a tenant.
    static func tenantHeader(_ provider: ProviderConfig) -> [String: String] {
        provider.settings["tenantId"].map { ["X-Tenant-ID": $0] } ?? [:]
    }

    static let pageSize = 100

    /// `GET /v1/management/connections` pages (`limit` 100, `total`); the id a create got is
    /// `id`; errors are `{code, title, message}`, and `409 FET-1021` says a job is using the
    /// connection (the change waits it out).
    struct API: VendorAPI {
        var auth: AuthScheme { .token(header: "Authorization", prefix: "Bearer ") }

        func listCall(_ config: ProviderConfig) -> ListCall {
            ListCall(items: .key("items"), paging: .pages(size: pageSize, first: 1, count: PageCountRule(total: "total"))) { page, _ in
                "/v1/management/connections?page=\(page)&limit=\(pageSize)&sortOrder=asc"
            }
        }

        func commonHeaders(_ config: ProviderConfig) -> [(String, String)] {
            tenantHeader(config).map { ($0.key, $0.value) }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            let code = envelope["code"]?.stringValue
            return VendorErrorText(
                code: code, message: [envelope["title"]?.stringValue, envelope["message"]?.stringValue].compactMap { $0 }.joined(separator: ": "),
                isBusy: code == "FET-1021")
        }

        func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse {
            MappingSupport.createdID(change, response, at: "id")
        }
    }
}
