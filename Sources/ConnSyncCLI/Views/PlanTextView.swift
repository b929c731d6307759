import ConnSyncModel
import ConnSyncPlan

/// The text plan of cli.md: a header, one block per connection with a change,
/// notes, and the exact summary line. Secrets show as `(sensitive)`.
public struct PlanTextView: Sendable {
    public var style: TextStyle
    /// The command word of the header (`plan` or `apply`).
    public var command: String
    /// The state the plan used, credentials stripped (cli.md v1.1: the header names it).
    public var state: String?

    public init(style: TextStyle, command: String = "plan", state: String? = nil) {
        self.style = style
        self.command = command
        self.state = state
    }

    public func render(_ plan: Plan) -> String {
        var text = ""
        render(plan) { text += $0 }
        return text
    }

    /// The same text in pieces of about `pieceBytes`, each passed to `emit` once full, so that
    /// the plan of 50,000 changes is never held whole (as 100,000 lines, then joined, then
    /// encoded: about 30 MB at once at the apply's memory peak).
    public func render(_ plan: Plan, pieceBytes: Int = 64 << 10, emit: (String) -> Void) {
        var piece = ""
        piece.reserveCapacity(pieceBytes + 4096)
        func add(_ line: String) {
            piece += line
            piece += "\n"
            guard piece.utf8.count >= pieceBytes else { return }
            emit(piece)
            piece.removeAll(keepingCapacity: true)
        }
        add(header(plan))
        add("")
        for change in plan.changes where change.action.isChange {
            for line in block(change) { add(line) }
        }
        if plan.summary.hasChanges { add("") }
        if !plan.notes.isEmpty {
            for note in plan.notes { add(style.dim("Note: \(ControlCharacters.escaped(note))")) }
            add("")
        }
        add(Self.summaryLine(plan))
        emit(piece)
    }

    public func header(_ plan: Plan) -> String {
        "connsync \(command) · source \(Self.sourceText(plan.source)) · \(Self.count(plan.connectionCount, "connection")) · \(Self.count(plan.providerCount, "provider"))"
            + (state.map { " · state \($0)" } ?? "")
    }

    static func sourceText(_ source: SourceInfo) -> String {
        var text = source.location
        if let path = source.path, !path.isEmpty, source.kind == .git { text += " (\(path))" }
        if let commit = source.shortCommit {
            text += " @ \(commit)"
            if source.isDirty == true { text += " (dirty)" }
        }
        return text
    }

    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    /// `Plan: N to create, N to update, N to delete, N unchanged.`, `No changes. N connections
    /// up to date.`, or, when anything could not be observed or planned, `Plan incomplete: N to
    /// create, N to update, N to delete, N unchanged; P of M providers failed.` (cli.md v1.1).
    public static func summaryLine(_ plan: Plan) -> String {
        let summary = plan.summary
        guard plan.isComplete else {
            return "Plan incomplete: \(summary.counts); \(plan.failedProviders.count) of \(plan.providersConsidered) providers failed."
        }
        if !summary.hasChanges {
            return "No changes. \(count(summary.unchanged, "connection")) up to date."
        }
        return "Plan: \(summary.counts)."
    }

    func block(_ unmasked: Change) -> [String] {
        let change = unmasked.masked()
        let glyph = colored(change.action.glyph, for: change.action)
        var lines = ["  \(glyph) \(style.bold(change.address.description))  \(change.actionDescription)"]
        for diff in change.diffs {
            lines.append("      " + line(diff))
        }
        for note in change.notes {
            lines.append(style.dim("      # \(ControlCharacters.escaped(note))"))
        }
        if let refusal = change.refusal {
            lines.append(style.red("      ! apply will refuse this change: \(refusal)"))
        }
        return lines
    }

    func line(_ diff: FieldDiff) -> String {
        let glyph: String
        let value: String
        switch diff.kind {
        case .add:
            glyph = style.green("+")
            value = diff.isSensitive ? Self.sensitiveText(diff, default: "sensitive") : (diff.after?.description ?? "null")
        case .change:
            glyph = style.yellow("~")
            value =
                diff.isSensitive
                ? Self.sensitiveText(diff, default: "sensitive value changed")
                : "\(diff.before?.description ?? "null") -> \(diff.after?.description ?? "null")"
        case .remove:
            glyph = style.red("-")
            value = diff.isSensitive ? "(sensitive)" : (diff.before?.description ?? "null")
        }
        // Keys come from vendors and from YAML: escaped, like every value (JSON-escaped).
        var text = "\(glyph) \(ControlCharacters.escaped(diff.path.description)): \(value)"
        if let note = diff.note { text += style.dim("   # \(note)") }
        return text
    }

    static func sensitiveText(_ diff: FieldDiff, default fallback: String) -> String {
        guard let summary = diff.sensitiveSummary, summary != "sensitive value" else { return "(\(fallback))" }
        return "(\(summary))"
    }

    func colored(_ glyph: String, for action: Action) -> String {
        switch action {
        case .create: return style.green(glyph)
        case .update, .replace: return style.yellow(glyph)
        case .delete: return style.red(glyph)
        case .noOp: return glyph
        }
    }
}
