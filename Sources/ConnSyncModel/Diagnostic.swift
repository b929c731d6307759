/// A position in a source file: `file:line:column`, 1-based.
///
/// For a git source, `file` is `path/in/repo.yaml@<short commit>`.
public struct SourceLocation: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// The three kinds of desired-state documents.
public enum DocumentKind: String, Sendable, Hashable, Codable, CaseIterable {
    case provider = "Provider"
    case database = "Database"
    case connection = "Connection"
}

/// Names one document in messages: `Connection/orders-reporting`.
public struct DocumentID: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kind: String
    public var name: String

    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }

    public init(kind: DocumentKind, name: String) {
        self.init(kind: kind.rawValue, name: name)
    }

    public var description: String { "\(kind)/\(name)" }
}

/// One problem found in the desired state, with where it is and what to do.
///
/// Rendered as `file:line:column: Kind/name: field: message`. Never holds a
/// secret value: messages name fields and references, not values.
public struct Diagnostic: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    /// A stable, machine-readable code such as `unknown-key` or `port-range`.
    public var code: String
    public var message: String
    public var location: SourceLocation?
    public var document: DocumentID?
    /// The field in the document's dotted form, e.g. `spec.port`.
    public var field: String?

    public init(
        _ severity: Severity = .error,
        code: String,
        message: String,
        location: SourceLocation? = nil,
        document: DocumentID? = nil,
        field: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
        self.document = document
        self.field = field
    }

    /// One line, safe for a terminal: text that came from the YAML (names, keys, values) has
    /// its control characters escaped and is bounded.
    public var description: String {
        var parts: [String] = []
        if let location { parts.append(Self.bounded(location.description, 400)) }
        if let document { parts.append(Self.bounded(document.description, 220)) }
        if let field { parts.append(Self.bounded(field, 200)) }
        parts.append(Self.bounded(message, 1000))
        return parts.joined(separator: ": ")
    }

    static func bounded(_ text: String, _ limit: Int) -> String {
        let escaped = ControlCharacters.escaped(text)
        return escaped.count > limit ? String(escaped.prefix(limit)) + "…" : escaped
    }
}

/// All the problems of one run, reported together.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
