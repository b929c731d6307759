import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan

/// What `plan` prints: the plan on stdout, and (text and Markdown) its problems on stderr.
protocol PlanOutput: Sendable {
    func show(_ plan: Plan)
    /// Says where the plan was saved (`plan --out`).
    func saved(to path: String)
}

/// What `apply` prints: the plan before the confirmation, the ✗ lines of what could not be
/// planned before anything is sent, and the results once the apply is over.
protocol ApplyOutput: Sendable {
    func show(_ plan: Plan)
    /// The problems of a plan about to be applied (`hasChanges`: whether changes follow).
    func problems(of plan: Plan, hasChanges: Bool)
    /// The results; `report` holds no result when nothing was sent.
    func result(_ plan: Plan, _ report: ApplyReport)
}

/// The views of one command, chosen once from `--format` (as opentofu's
/// `views.NewPlan(viewType)`): the commands never switch on the format.
struct Views: Sendable {
    let format: OutputFormat
    let console: Console
    let style: TextStyle
    /// The state the plan used, as its header names it.
    let state: String

    /// Whether the progress view prints a line per finished change (the text view's results).
    var printsProgressResults: Bool { format == .text }

    func plan(command: String = "plan") -> any PlanOutput {
        switch format {
        case .text: return TextPlanOutput(console: console, view: PlanTextView(style: style, command: command, state: state))
        case .json: return JSONPlanOutput(console: console, view: PlanJSONView(state: state))
        case .markdown: return MarkdownPlanOutput(console: console, style: style, view: PlanMarkdownView(state: state))
        }
    }

    func apply() -> any ApplyOutput {
        switch format {
        case .text: return TextApplyOutput(console: console, plan: PlanTextView(style: style, command: "apply", state: state), view: ApplyView(style: style))
        case .json: return JSONApplyOutput(console: console, view: ApplyJSONView(plan: PlanJSONView(state: state)))
        case .markdown: return MarkdownApplyOutput(console: console, plan: PlanMarkdownView(state: state), view: ApplyView(style: style))
        }
    }
}

/// `plan` and `plan --format markdown` say each problem on stderr too (a CI log shows it).
private func problemsOnStderr(_ plan: Plan, console: Console, style: TextStyle) {
    for problem in plan.problems { console.error(style.red("Error: ") + problem.description) }
}

struct TextPlanOutput: PlanOutput {
    let console: Console
    let view: PlanTextView

    func show(_ plan: Plan) {
        view.render(plan) { console.write($0) }
        problemsOnStderr(plan, console: console, style: view.style)
    }

    func saved(to path: String) {
        console.line("Saved the plan to \(path); apply it with: connsync apply \(path)")
    }
}

struct JSONPlanOutput: PlanOutput {
    let console: Console
    let view: PlanJSONView

    func show(_ plan: Plan) { console.write(view.render(plan)) }
    func saved(to path: String) {}
}

struct MarkdownPlanOutput: PlanOutput {
    let console: Console
    let style: TextStyle
    let view: PlanMarkdownView

    func show(_ plan: Plan) {
        console.write(view.render(plan))
        problemsOnStderr(plan, console: console, style: style)
    }

    func saved(to path: String) {}
}

struct TextApplyOutput: ApplyOutput {
    let console: Console
    let plan: PlanTextView
    let view: ApplyView

    func show(_ plan: Plan) { self.plan.render(plan) { console.write($0) } }

    func problems(of plan: Plan, hasChanges: Bool) {
        guard hasChanges || !plan.problems.isEmpty else { return }
        console.line()
        for problem in plan.problems { console.line(view.line(problem)) }
    }

    func result(_ plan: Plan, _ report: ApplyReport) {
        guard !report.results.isEmpty else { return }
        console.line()
        console.line(view.summary(report))
        for line in view.failures(report) { console.line(line) }
    }
}

struct JSONApplyOutput: ApplyOutput {
    let console: Console
    let view: ApplyJSONView

    func show(_ plan: Plan) {}
    func problems(of plan: Plan, hasChanges: Bool) {}
    func result(_ plan: Plan, _ report: ApplyReport) { console.write(view.render(plan: plan, report: report)) }
}

struct MarkdownApplyOutput: ApplyOutput {
    let console: Console
    let plan: PlanMarkdownView
    let view: ApplyView

    func show(_ plan: Plan) { console.write(self.plan.render(plan)) }
    func problems(of plan: Plan, hasChanges: Bool) {}

    func result(_ plan: Plan, _ report: ApplyReport) {
        guard !report.results.isEmpty else { return }
        console.line()
        console.line(view.summary(report))
        for line in view.failures(report) { console.line(line) }
    }
}
