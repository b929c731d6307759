import ConnSyncModel
import Foundation
import ConnSyncPlan

/// The plan as a pull-request comment (`--format markdown`): the summary first,
/// then one collapsible section per provider with the same lines (and the same
/// masking) as the text plan, truncated with a clear note below GitHub's
/// 65,536-character comment limit.
public struct PlanMarkdownView: Sendable {
    /// GitHub refuses comments longer than 65,536 characters; stay safely below.
    public static let defaultLimit = 65_000

    public var limit: Int
    /// The state the plan used, credentials stripped.
    public var state: String?

    public init(limit: Int = PlanMarkdownView.defaultLimit, state: String? = nil) {
        self.limit = limit
        self.state = state
    }

    public func render(_ plan: Plan) -> String {
        let text = PlanTextView(style: .plain)
        var head: [String] = ["### connsync plan", ""]
        head.append("**\(PlanTextView.summaryLine(plan))**")
        head.append("")
        if !plan.problems.isEmpty {
            // The errors right below the headline: a reviewer reads them before anything else.
            head.append("> [!CAUTION]")
            head.append("> **\(PlanTextView.count(plan.problems.count, "error"))**: what is listed below is not the whole plan.")
            for problem in plan.problems {
                head.append("> - `\(problem.address?.description ?? problem.provider)`: \(Self.inline(problem.message))")
            }
            head.append("")
        }
        head.append(
            "Source: `\(plan.source.location)`"
                + (plan.source.shortCommit.map { " @ `\($0)`\(plan.source.isDirty == true ? " (dirty)" : "")" } ?? "")
                + " · \(PlanTextView.count(plan.connectionCount, "connection")) · \(PlanTextView.count(plan.providerCount, "provider"))"
                + (state.map { " · state `\($0)`" } ?? ""))
        head.append("")


        var sections: [(provider: String, text: String, changes: Int)] = []
        let byProvider = Dictionary(grouping: plan.actionable, by: \.address.provider)
        for provider in byProvider.keys.sorted() {
            let changes = byProvider[provider]!
            var body: [String] = []
            for change in changes {
                body.append(contentsOf: text.block(change).map(Self.diffLine))
            }
            let content = body.joined(separator: "\n")
            // One backtick longer than any run in the content: nothing in it can close the fence.
            let fence = String(repeating: "`", count: max(3, Self.longestBacktickRun(content) + 1))
            let section = [
                "<details><summary><strong>\(Self.html(provider))</strong> (\(changes[0].vendor.rawValue)): \(Self.counts(changes))</summary>",
                "",
                "\(fence)diff",
                content,
                fence,
                "",
                "</details>",
                "",
                "",
            ].joined(separator: "\n")
            sections.append((provider, section, changes.count))
        }

        var tail: [String] = []
        let unchangedProviders = Dictionary(grouping: plan.changes.filter { !$0.action.isChange }, by: \.address.provider)
        let quiet = unchangedProviders.keys.filter { byProvider[$0] == nil }.sorted()
        if !quiet.isEmpty {
            tail.append("Up to date: " + quiet.map { "`\($0)` (\(unchangedProviders[$0]!.count))" }.joined(separator: ", "))
            tail.append("")
        }
        if !plan.notes.isEmpty {
            tail.append("<details><summary>Notes (\(plan.notes.count))</summary>")
            tail.append("")
            for note in plan.notes { tail.append("- \(Self.inline(note))") }
            tail.append("")
            tail.append("</details>")
            tail.append("")
        }

        var output = head.joined(separator: "\n") + "\n"
        let tailText = tail.joined(separator: "\n")
        var omittedChanges = 0
        var omittedProviders: [String] = []
        let reserve = 600 + tailText.count
        for section in sections {
            if omittedProviders.isEmpty, output.count + section.text.count + reserve <= limit {
                output += section.text
            } else {
                omittedProviders.append(section.provider)
                omittedChanges += section.changes
            }
        }
        if !omittedProviders.isEmpty {
            output += "> [!NOTE]\n"
            output +=
                "> The plan is too long for one comment: \(PlanTextView.count(omittedChanges, "change")) at "
                + omittedProviders.map { "`\($0)`" }.joined(separator: ", ")
                + " are not shown. Run `connsync plan` (or read this job's log) for the full plan.\n\n"
        }
        output += tailText
        return output.hasSuffix("\n") ? output : output + "\n"
    }

    /// Puts the glyph in the first column so GitHub's `diff` highlighting colours `+` and `-` lines.
    static func diffLine(_ line: String) -> String {
        let trimmed = line.drop { $0 == " " }
        guard let glyph = trimmed.first, "+-~!#".contains(glyph) else { return line }
        let indent = line.count - trimmed.count
        if glyph == "#" || glyph == "!" { return " " + String(repeating: " ", count: max(indent - 1, 0)) + trimmed }
        return String(glyph) + String(repeating: " ", count: max(indent - 1, 1)) + trimmed.dropFirst().drop { $0 == " " }
    }

    static func counts(_ changes: [Change]) -> String {
        var create = 0
        var update = 0
        var delete = 0
        for change in changes {
            switch change.action {
            case .create: create += 1
            case .update, .replace: update += 1
            case .delete: delete += 1
            case .noOp: break
            }
        }
        var parts: [String] = []
        if create > 0 { parts.append("\(create) to create") }
        if update > 0 { parts.append("\(update) to update") }
        if delete > 0 { parts.append("\(delete) to delete") }
        return parts.joined(separator: ", ")
    }

    static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0
        var current = 0
        for character in text {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    static func inline(_ text: String) -> String {
        html(text).replacingOccurrences(of: "\n", with: " ")
    }
}
