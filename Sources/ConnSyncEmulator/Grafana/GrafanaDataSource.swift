import ConnSyncModel
import Foundation

/// A create or update body of `/api/datasources`, decoded the way Grafana's binder
/// does (grafana.contract.md §3.4, §3.5): unknown fields are ignored, a known field of
/// the wrong JSON type fails the whole body, `null` leaves a field at its zero value,
/// and top-level `password`/`basicAuthPassword` are not part of the command.
struct GrafanaCommand: Sendable {
    var name = ""
    var type = ""
    var access = ""
    var url = ""
    var user = ""
    var database = ""
    var basicAuthUser = ""
    var uid = ""
    var basicAuth = false
    var withCredentials = false
    var isDefault = false
    /// nil when omitted or null.
    var jsonData: [String: Value]?
    /// Per key; `""` (or `null`) empties a stored secret.
    var secureJsonData: [String: String] = [:]
    var version = 0

    /// nil for anything Grafana answers 400 `bad request data`: not a JSON object, a
    /// field of the wrong type, or a missing required field (`type`, `access`, and
    /// `name` when `requireName`).
    init?(_ body: Value?, requireName: Bool) {
        guard let fields = body?.objectValue else { return nil }
        func string(_ key: String) -> String?? {
            switch fields[key] {
            case nil, .null?: return .some(nil)
            case .string(let text)?: return .some(text)
            default: return nil
            }
        }
        func bool(_ key: String) -> Bool?? {
            switch fields[key] {
            case nil, .null?: return .some(nil)
            case .bool(let flag)?: return .some(flag)
            default: return nil
            }
        }
        guard let name = string("name"), let type = string("type"), let access = string("access"), let url = string("url"),
            let user = string("user"), let database = string("database"), let basicAuthUser = string("basicAuthUser"),
            let uid = string("uid"), let basicAuth = bool("basicAuth"), let withCredentials = bool("withCredentials"),
            let isDefault = bool("isDefault")
        else { return nil }
        (self.name, self.type, self.access, self.url) = (name ?? "", type ?? "", access ?? "", url ?? "")
        (self.user, self.database, self.basicAuthUser, self.uid) = (user ?? "", database ?? "", basicAuthUser ?? "", uid ?? "")
        (self.basicAuth, self.withCredentials, self.isDefault) = (basicAuth ?? false, withCredentials ?? false, isDefault ?? false)
        switch fields["jsonData"] {
        case nil, .null?: jsonData = nil
        case .object(let object)?: jsonData = object
        default: return nil
        }
        switch fields["secureJsonData"] {
        case nil, .null?: break
        case .object(let secrets)?:
            for (key, value) in secrets {
                switch value {
                case .string(let text): secureJsonData[key] = text
                case .null: secureJsonData[key] = ""
                default: return nil
                }
            }
        default: return nil
        }
        switch fields["version"] {
        case nil, .null?: break
        case let number?:
            guard let version = number.intValue else { return nil }
            self.version = version
        }
        if self.type.isEmpty || self.access.isEmpty || (requireName && self.name.isEmpty) { return nil }
    }
}

/// What Grafana checks and shows of a stored data source row.
enum GrafanaDataSource {
    /// Type aliases of core plugins: the row keeps what was sent, every answer shows the plugin id.
    static let aliases = ["postgres": "grafana-postgresql-datasource"]
    /// Display names (`typeName` of list items) and logos of the plugins the emulator knows.
    static let plugins: [String: (name: String, logo: String)] = [
        "grafana-postgresql-datasource": ("PostgreSQL", "public/app/plugins/datasource/grafana-postgresql-datasource/img/postgresql_logo.svg"),
        "mysql": ("MySQL", "public/app/plugins/datasource/mysql/img/mysql_logo.svg"),
    ]
    /// Types whose `url` must be non-empty on update (the alias `postgres` is not in Grafana's list).
    static let urlRequired: Set<String> = ["grafana-postgresql-datasource", "mysql"]

    /// The stored columns each view copies as they are.
    static let fullFields = [
        "id", "uid", "orgId", "name", "access", "url", "user", "database", "basicAuth", "basicAuthUser", "withCredentials", "isDefault",
        "jsonData", "version", "readOnly",
    ]
    static let listFields = ["id", "uid", "orgId", "name", "access", "url", "user", "database", "basicAuth", "isDefault", "jsonData", "readOnly"]

    static func canonicalType(_ type: String) -> String {
        aliases[type] ?? type
    }

    /// At most 40 of `A-Za-z0-9_-` (Grafana's `util.ValidateUID`).
    static func isValidUID(_ uid: String) -> Bool {
        NameRules.isIdentifier(uid, maximumLength: 40)
    }

    /// Whether Go's `url.Parse` accepts `url` after Grafana prefixed `http://` to a
    /// scheme-less value: no spaces or control characters, a numeric port if any.
    static func isValidURL(_ url: String) -> Bool {
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return false }
        let rest = url.range(of: "://").map { String(url[$0.upperBound...]) } ?? url
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        var port = Substring("")
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let after = host[host.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return false }
            port = after.dropFirst()
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
        }
        return port.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The object of GET by uid or name and of create/update answers (§2.1): the
    /// plugin id as `type`, `secureJsonFields` for the non-empty secrets, never their values.
    static func full(_ row: Value, accessControl: Bool = false) -> Value {
        let type = canonicalType(row["type"]?.stringValue ?? "")
        var view: [String: Value] = ["type": .string(type), "typeLogoUrl": .string(logo(type)), "apiVersion": row["apiVersion"] ?? ""]
        for key in fullFields { view[key] = row[key] }
        var fields: [String: Value] = [:]
        for (key, value) in row["secureJsonData"]?.objectValue ?? [:] where !(value.stringValue ?? "").isEmpty { fields[key] = true }
        view["secureJsonFields"] = .object(fields)
        if accessControl {
            view["accessControl"] = [
                "datasources:read": true, "datasources:query": true, "datasources:write": true, "datasources:delete": true,
                "datasources.permissions:read": true, "datasources.permissions:write": true,
            ]
        }
        return .object(view)
    }

    /// A list item (§2.2): no `version`, `secureJsonFields`, `basicAuthUser` or `withCredentials`.
    static func listItem(_ row: Value) -> Value {
        let type = canonicalType(row["type"]?.stringValue ?? "")
        var view: [String: Value] = [
            "type": .string(type), "typeName": .string(plugins[type]?.name ?? ""), "typeLogoUrl": .string(logo(type)),
        ]
        for key in listFields { view[key] = row[key] }
        return .object(view)
    }

    static func logo(_ type: String) -> String {
        plugins[type]?.logo ?? "public/img/icn-datasource.svg"
    }

    /// A stored row with every column present (seeded rows may leave some out).
    static func row(_ object: [String: Value], id: Int, uid: String) -> Value {
        var row: [String: Value] = [
            "id": .int(id), "uid": .string(uid), "orgId": 1, "access": "proxy", "url": "", "user": "", "database": "",
            "basicAuth": false, "basicAuthUser": "", "withCredentials": false, "isDefault": false, "jsonData": .emptyObject,
            "secureJsonData": .emptyObject, "version": 1, "readOnly": false, "apiVersion": "",
        ]
        for (key, value) in object where row[key] != nil || key == "name" || key == "type" { row[key] = value }
        row["id"] = .int(id)
        row["uid"] = .string(uid)
        row["orgId"] = 1
        return .object(row)
    }

    // MARK: answers

    /// Grafana's plain error body, `{"message": ...}`.
    static func message(_ status: Int, _ text: String) -> EmulatorResponse {
        .json(status, ["message": .string(text)])
    }

    /// Grafana's structured (errutil) validation error.
    static func validation(_ messageID: String, _ text: String) -> EmulatorResponse {
        .json(400, ["statusCode": 400, "messageId": .string(messageID), "message": .string(text)])
    }

    static let badRequest = message(400, "bad request data")
    static let invalidURL = message(400, "Validation error, invalid URL")
    static let notFound = message(404, "Data source not found")
    static let routeNotFound = message(404, "Not found")
    static let methodNotAllowed = message(405, "Method Not Allowed")
    static let unauthorized = message(401, "Unauthorized")
    static let versionConflict = EmulatorResponse.json(
        409, ["message": "Datasource has already been updated by someone else. Please reload and try again", "traceID": ""])
}
