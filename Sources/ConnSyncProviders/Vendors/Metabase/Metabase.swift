import ConnSyncModel
import ConnSyncPlan
import Foundation

extension VendorType {
    public static let metabase: VendorType = "metabase"
}

/// metabase: the databases of one Metabase, `X-API-Key: <key>` (metabase.contract.md;
/// config-format.md v1.1). The Provider's baseURL is the server root, with any sub-path.
enum Metabase {
    static let definition = VendorDefinition(rules: rules, mapping: MetabaseMapping(), api: API(), samples: samples)

    static let rules = VendorRules(
        type: .metabase, fields: [.engine, .host, .port, .database, .username, .password, .ssl], engines: MetabaseMapping.engines.engines,
        requiredFields: [.engine, .host, .port, .database, .username], optionKeys: [.engine: "engine"],
        checks: [
            ConnectionCheck { facts in
                guard facts.ownFields.contains(.ssl), let ssl = facts.fields.ssl, ssl.ca != nil || ssl.cert != nil || ssl.key != nil else { return nil }
                return .init(
                    code: "unsupported-field", field: "spec.ssl",
                    message: "metabase takes ssl.mode only; give certificates under spec.options.details (ssl-root-cert-value, ssl-client-cert-value, ssl-key-value)",
                    place: .field(.ssl))
            }
        ])

    static let basePath = "/api/database"

    static func idPath(_ id: String) -> String {
        "\(basePath)/\(MappingSupport.pathSegment(id))"
    }

    /// One `GET /api/database`: `{data, total}` (a bare array before 0.40), no paging; a
    /// create answers 200 with the id; a save tests the connection, and its 400
    /// `{message, errors}` is what the ✗ line says; some errors are plain text.
    struct API: VendorAPI {
        var auth: AuthScheme { .token(header: "X-API-Key", prefix: "") }
        var missingIsDeleted: Bool { true }

        func listCall(_ config: ProviderConfig) -> ListCall {
            ListCall(items: .keyOrArray("data")) { _, _ in basePath }
        }

        func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText {
            guard let message = envelope["message"]?.stringValue else {
                return VendorErrorText(message: envelope.objectValue == nil ? VendorHTTP.bodyText(body) : Self.fieldErrors(envelope["errors"]))
            }
            let fields = Self.fieldErrors(envelope["errors"])
            return VendorErrorText(message: fields.isEmpty ? message : "\(message) (\(fields))")
        }

        /// `{"host": "check your host settings"}` → `host: check your host settings`.
        static func fieldErrors(_ errors: Value?) -> String {
            guard case .object(let fields)? = errors else { return "" }
            return fields.keys.sorted().compactMap { key in fields[key]?.stringValue.map { "\(key): \($0)" } }.joined(separator: "; ")
        }

        func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse {
            MappingSupport.createdID(change, response, at: "id")
        }
    }
}
