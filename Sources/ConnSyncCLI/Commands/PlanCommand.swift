import ArgumentParser
import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation

/// `connsync plan`: fetch remote state, diff, print the plan; changes nothing remote.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change at each vendor (changes nothing remote).",
        discussion: """
            Exit codes: 0 no changes (or changes without --detailed-exitcode), 1 error, \
            2 changes present (only with --detailed-exitcode).
            """)

    @OptionGroup var source: SourceOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var lockTimeout: LockTimeoutOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var options: PlanOptions
    @OptionGroup var trust: TrustOptions

    @Flag(name: .customLong("detailed-exitcode"), help: "Exit 2 when there are changes, 0 when there are none.")
    var detailedExitcode = false

    @Option(name: .long, help: ArgumentHelp("Save the plan for `connsync apply FILE` (no secret is written).", valueName: "FILE"))
    var out: String?

    func run() async throws {
        let context = CommandContext()
        let desired = try context.loadDesired(source, resolveSecrets: true, allowPlaintext: options.allowPlaintextSecrets)
        let gate = try context.gate(trust.spec, source: source.spec, desired: desired)
        let session = try await ReconcileSession.open(
            context: context, desired: desired, state: state, output: output,
            network: NetworkSettings(parallelism: options.parallelism, requestTimeout: trust.requestTimeoutDuration), gate: gate)
        let run: Engine.PlanRun
        do {
            run = try await session.plan(targets: options.targets, fingerprints: out != nil)
        } catch {
            await session.close()
            context.console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        await session.close()
        session.show(run.plan, format: output.effectiveFormat, command: "plan")
        if let out {
            do {
                try SavedPlan(run: run, state: session.stateDisplay).write(to: out)
                if output.effectiveFormat == .text { context.console.line("Saved the plan to \(out); apply it with: connsync apply \(out)") }
            } catch {
                context.console.error("Error: the plan was not saved: \(error)")
                throw ExitCode(1)
            }
        }
        if !run.plan.problems.isEmpty { throw ExitCode(1) }
        if detailedExitcode, run.plan.summary.hasChanges { throw ExitCode(2) }
    }
}

/// How a run talks to vendors.
struct NetworkSettings: Sendable {
    /// Most requests in flight overall.
    var parallelism: Int
    /// The whole-request deadline.
    var requestTimeout: Duration = .seconds(60)
}

/// What plan, apply and the demo share: state, transports, engine, progress, output.
struct ReconcileSession {
    let context: CommandContext
    let desired: DesiredState
    let store: any StateStore
    let stack: TransportStack
    let engine: Engine
    let progress: ProgressView
    let style: TextStyle
    let stateDisplay: String

    static func open(
        context: CommandContext, desired: DesiredState, state: StateOptions, output: OutputOptions, network: NetworkSettings,
        gate: Engine.ProviderGate = Engine.ProviderGate(), storeOverride: (any StateStore)? = nil
    ) async throws -> ReconcileSession {
        let store: any StateStore
        if let storeOverride {
            store = storeOverride
        } else {
            store = try await context.openStore(state)
        }
        let style = TextStyle(
            isColored: TextStyle.shouldColor(
                noColorFlag: output.noColor, environment: context.environment, isTerminal: context.console.stdoutIsTerminal))
        let progress = ProgressView(console: context.console, style: style)
        progress.printsResults = output.effectiveFormat == .text
        let stack = context.transportStack(
            desired: desired, parallelism: network.parallelism, delegate: progress, requestTimeout: network.requestTimeout)
        let engine = Engine(
            buildProvider: { config throws(ProviderError) in try stack.provider(config) }, store: store, clock: context.clock,
            delegate: progress, gate: gate)
        let display = (try? state.location(environment: context.environment).shown) ?? "state"
        return ReconcileSession(
            context: context, desired: desired, store: store, stack: stack, engine: engine, progress: progress, style: style,
            stateDisplay: storeOverride == nil ? display : "demo state")
    }

    /// `fingerprints`: only a plan that is saved, or checked against a saved one, needs them.
    func plan(targets: [Address], fingerprints: Bool) async throws -> Engine.PlanRun {
        // The providers the desired state brings in; one in scope only through state (prune)
        // is counted when the engine starts observing it (state is read once, by the engine).
        progress.expectProviders(Planner.providersInScope(desired: desired, records: [], targets: targets).count)
        do {
            let run = try await engine.plan(desired, targets: targets, fingerprints: fingerprints)
            progress.finish()
            return run
        } catch {
            progress.finish()
            throw error
        }
    }

    /// Prints the plan in `format` on stdout, and problems on stderr (text) or in the JSON.
    func show(_ plan: Plan, format: OutputFormat, command: String) {
        let console = context.console
        switch format {
        case .text:
            console.write(PlanTextView(style: style, command: command, state: stateDisplay).render(plan))
        case .json:
            console.write(PlanJSONView(state: stateDisplay).render(plan))
        case .markdown:
            console.write(PlanMarkdownView(state: stateDisplay).render(plan))
        }
        // apply shows them as ✗ lines on stdout instead.
        if format != .json, command == "plan" {
            for problem in plan.problems {
                console.error(style.red("Error: ") + problem.description)
            }
        }
    }

    func close() async {
        await stack.shutdown()
        try? await store.close()
    }
}
