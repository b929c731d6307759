import ConnSyncModel
import Foundation

extension DocumentChecker {
    // MARK: Provider

    /// The keys of a Provider spec: the format's own, with every vendor's settings after `auth`.
    func providerKeyOrder() -> [String] {
        ["type", "baseURL", "auth"] + vendors.settingKeys + ["concurrency", "rateLimit", "prune"]
    }

    func checkProvider(
        _ spec: [YNode.Entry], at specLocation: SourceLocation, name: String, labels: [String: String], location: SourceLocation,
        context: Context
    ) -> ProviderConfig? {
        let keyOrder = providerKeyOrder()
        let known = Set(keyOrder)
        let byKey = SmallMap(spec.filter { known.contains($0.key) })
        for entry in spec {
            if !known.contains(entry.key) {
                context.error(
                    "unknown-key", "spec.\(entry.key)", KeyLists.unknownKey(entry.key, known: keyOrder, owner: "a Provider spec"),
                    at: entry.keyPosition)
            }
        }
        let typeNames = vendors.types.map(\.rawValue).joined(separator: ", ")
        guard let typeEntry = byKey["type"] else {
            context.error("missing-field", "spec.type", "required field is missing; set it to one of \(typeNames)", at: specLocation)
            return nil
        }
        guard let typeText = typeEntry.value.stringScalar, let rules = vendors.rules(for: VendorType(typeText)) else {
            context.error(
                "invalid-value", "spec.type", "must be one of \(typeNames) (got \(typeEntry.value.display))", at: typeEntry.value.position)
            return nil
        }
        let type = rules.type
        var config = ProviderConfig(name: name, type: type, labels: labels, location: location)

        if let entry = byKey["baseURL"] {
            if let text = entry.value.stringScalar {
                if SecretKeys.hasURLUserinfo(text) {
                    // Never echoed: the user info may be a password.
                    context.error(
                        "invalid-url", "spec.baseURL", "must not hold credentials (user:password@): put them in spec.auth, which is sent as the vendor expects",
                        at: entry.value.position)
                } else if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                    url.host?.isEmpty == false
                {
                    config.baseURL = text
                } else {
                    context.error(
                        "invalid-url", "spec.baseURL", "must be an absolute http(s) URL such as https://api.example.com (got \(entry.value.display))",
                        at: entry.value.position)
                }
            } else {
                context.error("type", "spec.baseURL", "must be a string (got \(entry.value.kindDescription))", at: entry.value.position)
            }
        } else if rules.defaultBaseURL == nil {
            context.error(
                "missing-field", "spec.baseURL", "required field is missing: \(type) has no default base URL; set the URL of your \(type) API",
                at: specLocation)
        }

        checkSettings(byKey, rules: rules, at: specLocation, into: &config, context: context)

        if let entry = byKey["concurrency"] {
            if case .scalar(let text, .int, _) = entry.value, let number = Int(text), (1...256).contains(number) {
                config.concurrency = number
            } else {
                context.error(
                    "invalid-value", "spec.concurrency", "must be an integer from 1 to 256 (got \(entry.value.display))",
                    at: entry.value.position)
            }
        }
        if let entry = byKey["rateLimit"] {
            if let text = entry.value.stringScalar, let limit = RateLimit(parsing: text) {
                config.rateLimit = limit
            } else {
                context.error(
                    "invalid-value", "spec.rateLimit", "must be N/s or N/m with N ≥ 1, e.g. 200/m (got \(entry.value.display))",
                    at: entry.value.position)
            }
        }
        if let entry = byKey["prune"] {
            if case .scalar(let text, .bool, _) = entry.value {
                config.prune = YNode.boolean(text) ?? false
            } else {
                context.error("type", "spec.prune", "must be true or false (got \(entry.value.display))", at: entry.value.position)
            }
        }

        // auth
        var present = Set<String>()
        if let entry = byKey["auth"] {
            if case .mapping(let fields, _) = entry.value {
                for field in fields {
                    guard KeyLists.auth.contains(field.key) else {
                        context.error(
                            "unknown-key", "spec.auth.\(field.key)", KeyLists.unknownKey(field.key, known: KeyLists.auth, owner: "auth"),
                            at: field.keyPosition)
                        continue
                    }
                    guard rules.authKeys.contains(field.key) else {
                        context.error(
                            "unsupported-setting", "spec.auth.\(field.key)",
                            "\(type) does not use auth.\(field.key); it uses \(rules.authKeys.sorted().map { "auth.\($0)" }.joined(separator: " and "))",
                            at: field.keyPosition)
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
                context.error("type", "spec.auth", "must be a mapping (got \(entry.value.kindDescription))", at: entry.value.position)
            }
        }
        for key in rules.requiredAuthKeys.sorted() where !present.contains(key) {
            context.error(
                "missing-field", "spec.auth.\(key)",
                "required field is missing: \(type) needs auth.\(key), e.g. \(key): {fromEnv: \(Self.envSuggestion(name, key))}",
                at: byKey["auth"].map { context.location($0.value.position) } ?? specLocation)
        }
        return config
    }

    /// The vendor's settings: each one only for a vendor that reads it, in its format; the
    /// required ones present (an error) and the recommended ones (a warning).
    func checkSettings(
        _ byKey: SmallMap, rules: VendorRules, at specLocation: SourceLocation, into config: inout ProviderConfig, context: Context
    ) {
        let type = rules.type
        for key in vendors.settingKeys {
            guard let entry = byKey[key] else { continue }
            guard let setting = rules.settings.first(where: { $0.key == key }) else {
                context.error(
                    "unsupported-setting", "spec.\(key)",
                    "\(key) is not used by \(type) (only by \(vendors.vendors(reading: key).map(\.rawValue).joined(separator: ", "))); remove it",
                    at: entry.keyPosition)
                continue
            }
            guard let text = entry.value.stringScalar, !text.isEmpty else {
                context.error("type", "spec.\(key)", "must be a non-empty string (got \(entry.value.kindDescription))", at: entry.value.position)
                continue
            }
            if let problem = setting.problem(with: text) {
                let got: String
                if case .singleLine = setting.format { got = "" } else { got = " (got \(entry.value.display))" }
                context.error("invalid-value", "spec.\(key)", problem + got, at: entry.value.position)
                continue
            }
            config.settings[key] = text
        }
        for setting in rules.settings where byKey[setting.key] == nil {
            switch setting.requirement {
            case .optional:
                break
            case .required(let reason):
                context.error("missing-field", "spec.\(setting.key)", "required field is missing: \(type) \(reason)", at: specLocation)
            case .recommended(let consequence):
                context.warning("missing-setting", "spec.\(setting.key)", consequence, at: specLocation)
            }
        }
    }

    static func envSuggestion(_ name: String, _ key: String) -> String {
        (name + "_" + key).uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
