import ConnSyncConfig
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders

/// Turns a provider's existing remote connections into desired-state documents
/// (`connsync import`). Pure: the same remote objects always give the same bytes.
///
/// - Common fields are written under connsync's names; everything else the vendor
///   holds goes under `spec.options` in the vendor's own shape, so that a plan right
///   after the import shows no changes.
/// - Connections (across the imported providers) that hold the same
///   engine/host/port/database/username share one `Database` document.
/// - Secrets the vendor returns become `{fromEnv: NAME}` placeholders (their names are
///   reported, their values never written); write-only secrets stay undeclared, with a
///   comment saying how to declare them.
public struct ImportBuilder: Sendable {
    /// One imported document, as a file and as part of a stream.
    public struct Document: Sendable, Hashable {
        /// Relative path under `--out DIR`.
        public var path: String
        public var contents: String
    }

    /// A variable the user must set before planning.
    public struct SecretVariable: Sendable, Hashable {
        public var name: String
        public var address: Address
        public var field: String
    }

    public struct Result: Sendable {
        public var documents: [Document]
        public var variables: [SecretVariable]
        /// Remote connections that could not be imported, with the reason.
        public var skipped: [(name: String, provider: String, reason: String)]

        /// All documents as one YAML stream (databases first).
        public var stream: String {
            YAMLWriter().stream(documents.map(\.contents))
        }
    }

    let vendors: VendorRegistry

    public init(vendors: VendorRegistry) {
        self.vendors = vendors
    }

    struct Candidate {
        var provider: ProviderConfig
        var name: String
        var common: [String: Value]
        var labels: [String: String]
        var options: Value
        var writeOnly: [String]
    }

    /// - Parameter reservedDatabaseNames: Database names the desired state already uses.
    public func build(_ imports: [(provider: ProviderConfig, objects: [RemoteObject])], reservedDatabaseNames: Set<String> = []) -> Result {
        var skipped: [(String, String, String)] = []
        var candidates: [Candidate] = []
        for (provider, objects) in imports {
            guard let definition = vendors.definition(for: provider.type) else { continue }
            for object in objects.sorted(by: { ($0.name, $0.id ?? "") < ($1.name, $1.id ?? "") }) {
                guard NameRules.isValidName(object.name) else {
                    skipped.append(
                        (object.name, provider.name, "its name does not match \(NameRules.nameRuleText); rename it at the vendor to manage it"))
                    continue
                }
                if objects.filter({ $0.name == object.name }).count > 1 {
                    if !skipped.contains(where: { $0.0 == object.name && $0.1 == provider.name }) {
                        skipped.append((object.name, provider.name, "several remote connections have this name; connsync never guesses"))
                    }
                    continue
                }
                candidates.append(candidate(provider: provider, definition: definition, object: object))
            }
        }

        // Shared databases: the same coordinates at two or more connections.
        var groups: [[String]: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() {
            if let key = Self.coordinates(candidate.common) { groups[key, default: []].append(index) }
        }
        var databaseNames: [[String]: String] = [:]
        var usedNames = reservedDatabaseNames
        for key in groups.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) where groups[key]!.count >= 2 {
            var base = Self.sanitize(key[3])
            if base.isEmpty { base = "database" }
            var name = base
            var counter = 2
            while usedNames.contains(name) {
                name = "\(base)-\(counter)"
                counter += 1
            }
            usedNames.insert(name)
            databaseNames[key] = name
        }

        var documents: [Document] = []
        let writer = YAMLWriter()
        for key in databaseNames.keys.sorted(by: { databaseNames[$0]! < databaseNames[$1]! }) {
            let name = databaseNames[key]!
            let first = candidates[groups[key]![0]]
            var spec: [YAMLWriter.Entry] = []
            for field in ["engine", "host", "port", "database", "username"] {
                if let value = first.common[field] { spec.append(YAMLWriter.Entry(field, .scalar(value))) }
            }
            let users = groups[key]!.map { "\(candidates[$0].provider.name)/\(candidates[$0].name)" }.sorted()
            let contents = writer.document(
                [
                    YAMLWriter.Entry("apiVersion", .scalar("connsync/v1")),
                    YAMLWriter.Entry("kind", .scalar("Database")),
                    YAMLWriter.Entry("metadata", .mapping([YAMLWriter.Entry("name", .scalar(.string(name)))])),
                    YAMLWriter.Entry(
                        "spec", .mapping(spec),
                        comment: "The password is write-only at every vendor: connsync leaves it alone until you declare it, e.g.\n  password: {fromEnv: \(Self.variableName([name, "password"]))}"),
                ],
                headerComments: ["Imported by connsync: shared by " + users.joined(separator: ", ")])
            documents.append(Document(path: "databases/\(name).yaml", contents: contents))
        }

        var variables: [SecretVariable] = []
        var usedVariables = Set<String>()
        for candidate in candidates.sorted(by: { ($0.provider.name, $0.name) < ($1.provider.name, $1.name) }) {
            let address = Address(provider: candidate.provider.name, name: candidate.name)
            var spec: [YAMLWriter.Entry] = [YAMLWriter.Entry("provider", .scalar(.string(candidate.provider.name)))]
            var common = candidate.common
            if let key = Self.coordinates(common), let database = databaseNames[key] {
                spec.append(YAMLWriter.Entry("databaseRef", .scalar(.string(database))))
                for field in ["engine", "host", "port", "database", "username"] { common[field] = nil }
            }
            for field in ["engine", "host", "port", "database", "username", "schema"] {
                if let value = common[field] { spec.append(YAMLWriter.Entry(field, .scalar(value))) }
            }
            if let ssl = common["ssl"] { spec.append(YAMLWriter.Entry("ssl", .from(ssl))) }
            if case .object(let fields) = candidate.options, !fields.isEmpty {
                let sensitivity = Sensitivity(secretKeyNames: vendors.definition(for: candidate.provider.type)?.mapping.secretKeyNames ?? [])
                let node = placeholders(
                    candidate.options, path: .root, address: address, sensitivity: sensitivity, used: &usedVariables, variables: &variables)
                spec.append(YAMLWriter.Entry("options", node))
            }
            var metadata: [YAMLWriter.Entry] = [YAMLWriter.Entry("name", .scalar(.string(candidate.name)))]
            if !candidate.labels.isEmpty {
                metadata.append(
                    YAMLWriter.Entry("labels", .mapping(candidate.labels.keys.sorted().map { YAMLWriter.Entry($0, .scalar(.string(candidate.labels[$0]!))) })))
            }
            var header = ["Imported by connsync from \(candidate.provider.name) (\(candidate.provider.type))."]
            for field in candidate.writeOnly {
                header.append(
                    "\(field) is write-only at \(candidate.provider.type): connsync leaves it alone until you declare it, e.g."
                )
                let variable = Self.variableName([candidate.provider.name, candidate.name, field])
                header.append(field == "ssl.ca" ? "  ssl: {ca: {fromEnv: \(variable)}}" : "  \(field): {fromEnv: \(variable)}")
            }
            let contents = writer.document(
                [
                    YAMLWriter.Entry("apiVersion", .scalar("connsync/v1")),
                    YAMLWriter.Entry("kind", .scalar("Connection")),
                    YAMLWriter.Entry("metadata", .mapping(metadata)),
                    YAMLWriter.Entry("spec", .mapping(spec)),
                ], headerComments: header)
            documents.append(Document(path: "connections/\(candidate.provider.name)/\(candidate.name).yaml", contents: contents))
        }
        return Result(documents: documents, variables: variables, skipped: skipped)
    }

    func candidate(provider: ProviderConfig, definition: VendorDefinition, object: RemoteObject) -> Candidate {
        let view = definition.mapping.normalize(object.raw)
        var fields = view.objectValue ?? [:]
        var common: [String: Value] = [:]
        let rules = definition.rules
        for field in CommonField.allCases where field != .password && rules.fields.contains(field) {
            guard let value = fields[field.rawValue] else { continue }
            switch field {
            case .engine:
                guard let text = value.stringValue, DatabaseEngine(rawValue: text) != nil else { continue }
            case .port:
                guard value.intValue != nil else { continue }
            case .ssl:
                guard value.objectValue != nil else { continue }
            default:
                guard value.stringValue != nil else { continue }
            }
            common[field.rawValue] = field == .port ? .int(value.intValue!) : value
            fields[field.rawValue] = nil
        }
        var labels: [String: String] = [:]
        if rules.holdsLabels, case .object(let map)? = fields["labels"], map.values.allSatisfy({ $0.stringValue != nil }) {
            labels = map.mapValues { $0.stringValue! }
            fields["labels"] = nil
        }
        fields["password"] = nil
        if case .object(var ssl)? = common["ssl"] {
            for key in ["ca", "cert", "key"] { ssl[key] = nil }
            common["ssl"] = ssl.isEmpty ? nil : .object(ssl)
        }
        var writeOnly: [String] = []
        if rules.fields.contains(.password) { writeOnly.append("password") }
        if common["ssl"] != nil, definition.mapping.isWriteOnly("ssl.ca") { writeOnly.append("ssl.ca") }
        return Candidate(
            provider: provider, name: object.name, common: common, labels: labels, options: .object(fields), writeOnly: writeOnly)
    }

    /// The YAML node of `value`, with every secret-looking string replaced by a `{fromEnv: NAME}` placeholder.
    func placeholders(
        _ value: Value, path: FieldPath, address: Address, sensitivity: Sensitivity, used: inout Set<String>,
        variables: inout [SecretVariable]
    ) -> YAMLWriter.Node {
        switch value {
        case .object(let fields):
            return .mapping(
                fields.keys.sorted().map { key in
                    YAMLWriter.Entry(key, placeholders(fields[key]!, path: path.appending(key), address: address, sensitivity: sensitivity, used: &used, variables: &variables))
                })
        case .array(let items):
            return .sequence(
                items.enumerated().map {
                    placeholders($1, path: path.appending(index: $0), address: address, sensitivity: sensitivity, used: &used, variables: &variables)
                })
        case .string where sensitivity.isSensitive(path: path, value: value):
            var name = Self.variableName([address.provider, address.name] + path.components.compactMap { component in
                if case .key(let key) = component { return key }
                return nil
            })
            var counter = 2
            let base = name
            while used.contains(name) {
                name = "\(base)_\(counter)"
                counter += 1
            }
            used.insert(name)
            variables.append(SecretVariable(name: name, address: address, field: "spec.options.\(path)"))
            return .flowMapping([("fromEnv", name)])
        default:
            return .scalar(value)
        }
    }

    /// engine/host/port/database/username as strings, when all five are present.
    static func coordinates(_ common: [String: Value]) -> [String]? {
        var key: [String] = []
        for field in ["engine", "host", "port", "database", "username"] {
            guard let value = common[field] else { return nil }
            key.append(value.stringValue ?? value.intValue.map(String.init) ?? value.jsonString())
        }
        return key
    }

    /// `CRM_SITE_MY_DB_SECRET_KEY` from name parts (camelCase split, non-alphanumerics to `_`).
    static func variableName(_ parts: [String]) -> String {
        var words: [String] = []
        for part in parts {
            var current = ""
            var previousLower = false
            for character in part {
                if character.isLetter || character.isNumber {
                    if character.isUppercase && previousLower {
                        words.append(current)
                        current = ""
                    }
                    current.append(character)
                    previousLower = character.isLowercase || character.isNumber
                } else {
                    if !current.isEmpty { words.append(current) }
                    current = ""
                    previousLower = false
                }
            }
            if !current.isEmpty { words.append(current) }
        }
        var name = words.map { $0.uppercased() }.joined(separator: "_")
        if let first = name.first, first.isNumber { name = "_" + name }
        return name
    }

    /// A Database name from a database name: the naming rule's characters only.
    static func sanitize(_ text: String) -> String {
        var result = ""
        for character in text {
            if character.isASCII, character.isLetter || character.isNumber || character == "-" || character == "_" || character == "." {
                result.append(character)
            } else {
                result.append("-")
            }
        }
        while let first = result.first, !(first.isLetter || first.isNumber) { result.removeFirst() }
        return String(result.prefix(100))
    }
}
