import ConnSyncModel
import Foundation

extension DocumentChecker {
    // MARK: Provider

    static var providerKeys: Set<String> { Set(providerKeyOrder) }
    static let providerKeyOrder = [
        "type", "baseURL", "auth", "userId", "productName", "tenantId", "project", "concurrency", "rateLimit", "prune",
    ]
    /// Vendor settings and the vendors that use them.
    static let vendorSettings: [String: Set<VendorType>] = [
        "userId": [.wiremockCloud], "productName": [.lerianReporter], "tenantId": [.lerianReporter], "project": [.credibleData],
    ]

    func checkProvider(
        _ spec: [YNode.Entry], at specLocation: SourceLocation, name: String, labels: [String: String], location: SourceLocation,
        context: Context
    ) -> ProviderConfig? {
        var byKey: [String: YNode.Entry] = [:]
        for entry in spec {
            if Self.providerKeys.contains(entry.key) {
                byKey[entry.key] = entry
            } else {
                context.error(
                    "unknown-key", "spec.\(entry.key)",
                    KeyLists.unknownKey(entry.key, known: Self.providerKeyOrder, owner: "a Provider spec"),
                    at: entry.keyLocation)
            }
        }
        guard let typeEntry = byKey["type"] else {
            context.error(
                "missing-field", "spec.type",
                "required field is missing; set it to one of wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data",
                at: specLocation)
            return nil
        }
        guard let typeText = typeEntry.value.stringScalar, let type = VendorType(rawValue: typeText) else {
            context.error(
                "invalid-value", "spec.type",
                "must be one of wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data (got \(typeEntry.value.display))",
                at: typeEntry.value.location)
            return nil
        }
        let capabilities = VendorCapabilities.of(type)
        var config = ProviderConfig(name: name, type: type, labels: labels, location: location)

        if let entry = byKey["baseURL"] {
            if let text = entry.value.stringScalar {
                if SecretKeys.hasURLUserinfo(text) {
                    // Never echoed: the user info may be a password.
                    context.error(
                        "invalid-url", "spec.baseURL", "must not hold credentials (user:password@): put them in spec.auth, which is sent as the vendor expects",
                        at: entry.value.location)
                } else if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                    url.host?.isEmpty == false
                {
                    config.baseURL = text
                } else {
                    context.error(
                        "invalid-url", "spec.baseURL", "must be an absolute http(s) URL such as https://api.example.com (got \(entry.value.display))",
                        at: entry.value.location)
                }
            } else {
                context.error("type", "spec.baseURL", "must be a string (got \(entry.value.kindDescription))", at: entry.value.location)
            }
        } else if capabilities.defaultBaseURL == nil {
            context.error(
                "missing-field", "spec.baseURL", "required field is missing: \(type) has no default base URL; set the URL of your \(type) API",
                at: specLocation)
        }

        for (setting, vendors) in Self.vendorSettings.sorted(by: { $0.key < $1.key }) {
            guard let entry = byKey[setting] else { continue }
            guard vendors.contains(type) else {
                context.error(
                    "unsupported-setting", "spec.\(setting)",
                    "\(setting) is not used by \(type) (only by \(vendors.map(\.rawValue).sorted().joined(separator: ", "))); remove it",
                    at: entry.keyLocation)
                continue
            }
            guard let text = entry.value.stringScalar, !text.isEmpty else {
                context.error(
                    "type", "spec.\(setting)", "must be a non-empty string (got \(entry.value.kindDescription))", at: entry.value.location)
                continue
            }
            switch setting {
            case "userId": config.userId = text
            case "tenantId":
                // Sent as the X-Tenant-ID header.
                if NameRules.isSingleLine(text) {
                    config.tenantId = text
                } else {
                    context.error(
                        "invalid-value", "spec.tenantId", "must be one line of text without control characters (it is sent as a header)",
                        at: entry.value.location)
                }
            case "productName":
                if NameRules.isIdentifier(text, maximumLength: 100) {
                    config.productName = text
                } else {
                    context.error(
                        "invalid-value", "spec.productName",
                        "must match ^[a-zA-Z0-9_-]+$ and be at most 100 characters (got \(entry.value.display))", at: entry.value.location)
                }
            case "project":
                if NameRules.isIdentifier(text) {
                    config.project = text
                } else {
                    context.error(
                        "invalid-value", "spec.project", "must match ^[a-zA-Z0-9_-]+$ (got \(entry.value.display))", at: entry.value.location)
                }
            default: break
            }
        }
        if type == .wiremockCloud, byKey["userId"] == nil {
            context.error(
                "missing-field", "spec.userId", "required field is missing: wiremock-cloud lists and creates connections under a user id",
                at: specLocation)
        }
        if type == .lerianReporter, byKey["productName"] == nil {
            context.warning(
                "missing-setting", "spec.productName",
                "needed to create connections (sent as X-Product-Name): without it, plan and apply can update and delete but not create",
                at: specLocation)
        }
        if type == .credibleData, byKey["project"] == nil {
            context.error(
                "missing-field", "spec.project", "required field is missing: credible-data connections live in a project", at: specLocation)
        }

        if let entry = byKey["concurrency"] {
            if case .scalar(let text, .int, _) = entry.value, let number = Int(text), (1...256).contains(number) {
                config.concurrency = number
            } else {
                context.error(
                    "invalid-value", "spec.concurrency", "must be an integer from 1 to 256 (got \(entry.value.display))",
                    at: entry.value.location)
            }
        }
        if let entry = byKey["rateLimit"] {
            if let text = entry.value.stringScalar, let limit = RateLimit(parsing: text) {
                config.rateLimit = limit
            } else {
                context.error(
                    "invalid-value", "spec.rateLimit", "must be N/s or N/m with N ≥ 1, e.g. 200/m (got \(entry.value.display))",
                    at: entry.value.location)
            }
        }
        if let entry = byKey["prune"] {
            if case .scalar(let text, .bool, _) = entry.value {
                config.prune = YNode.boolean(text) ?? false
            } else {
                context.error("type", "spec.prune", "must be true or false (got \(entry.value.display))", at: entry.value.location)
            }
        }

        // auth
        var present = Set<String>()
        if let entry = byKey["auth"] {
            if case .mapping(let fields, _) = entry.value {
                for field in fields {
                    guard ["token", "username", "password"].contains(field.key) else {
                        context.error(
                            "unknown-key", "spec.auth.\(field.key)", KeyLists.unknownKey(field.key, known: KeyLists.auth, owner: "auth"),
                            at: field.keyLocation)
                        continue
                    }
                    guard capabilities.authKeys.contains(field.key) else {
                        context.error(
                            "unsupported-setting", "spec.auth.\(field.key)",
                            "\(type) does not use auth.\(field.key); it uses \(capabilities.authKeys.sorted().map { "auth.\($0)" }.joined(separator: " and "))",
                            at: field.keyLocation)
                        continue
                    }
                    present.insert(field.key)
                    let secret = checkSecret(
                        field.value, field: "spec.auth.\(field.key)", isSecretField: field.key != "username", context: context)
                    switch field.key {
                    case "token": config.auth.token = secret
                    case "username": config.auth.username = secret
                    default: config.auth.password = secret
                    }
                }
            } else {
                context.error("type", "spec.auth", "must be a mapping (got \(entry.value.kindDescription))", at: entry.value.location)
            }
        }
        for key in capabilities.requiredAuthKeys.sorted() where !present.contains(key) {
            context.error(
                "missing-field", "spec.auth.\(key)",
                "required field is missing: \(type) needs auth.\(key), e.g. \(key): {fromEnv: \(Self.envSuggestion(name, key))}",
                at: byKey["auth"]?.value.location ?? specLocation)
        }
        return config
    }

    static func envSuggestion(_ name: String, _ key: String) -> String {
        (name + "_" + key).uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
