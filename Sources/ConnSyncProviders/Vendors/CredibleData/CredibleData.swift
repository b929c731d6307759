import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let credibleData: VendorType = "credible-data"
}

/// credible-data: connections of a project, keyed by name, `Authorization: Bearer <token>`
/// (contracts.md, credible-data.update.md).
enum CredibleData {
    static let definition = VendorDefinition(rules: rules, mapping: CredibleDataMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .credibleData, fields: [.engine, .host, .port, .database, .username, .password],
        engines: Set(CredibleDataMapping.layouts.keys), requiredFields: [.engine], optionKeys: [.engine: "type"],
        settings: [VendorSetting("project", .required("connections live in a project"), format: .identifier(maximumLength: nil))],
        checks: [
            ConnectionCheck { facts in
                if !NameRules.isIdentifier(facts.name) {
                    return .init(
                        code: "vendor-name", field: "metadata.name",
                        message: "credible-data connection names may only hold letters, digits, '_' and '-'", place: .name)
                }
                guard facts.name == "duckdb" else { return nil }
                return .init(
                    code: "vendor-name", field: "metadata.name", message: "'duckdb' is a reserved connection name at credible-data; choose another",
                    place: .name)
            }
        ])

    /// `/api/v0/projects/{project}/connections`.
    static func connectionsPath(_ provider: ProviderConfig) -> String {
        "/api/v0/projects/\(MappingSupport.pathSegment(provider.settings["project"] ?? ""))/connections"
    }

    /// One `GET /api/v0/projects/{project}/connections`: a bare array, no paging; errors are
    /// `{"message": ...}`.
    struct API: VendorAPI {
        var auth: AuthScheme { .token(header: "Authorization", prefix: "Bearer ") }

        func listCall(_ config: ProviderConfig) -> ListCall {
            let path = connectionsPath(config)
            return ListCall(items: .array) { _, _ in path }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            VendorErrorText(message: envelope["message"]?.stringValue ?? "")
        }
    }
}
