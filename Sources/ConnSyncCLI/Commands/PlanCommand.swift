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
        let desired = try context.loadDesired(source, resolveSecrets: true, allowPlaintext: options.allowPlaintextSecrets, trust: trust.spec)
        let gate = try context.gate(trust.spec, source: source.spec, desired: desired)
        let session = try await ReconcileSession.open(
            context: context, desired: desired, state: state, output: output,
            network: NetworkSettings(parallelism: options.parallelism, requestTimeout: trust.requestTimeoutDuration), gate: gate)
        let run: Engine.PlanRun
        do {
            // Changes' views are shown by the JSON plan only (the text plan shows the diffs).
            run = try await session.plan(targets: options.targets, fingerprints: out != nil, views: output.effectiveFormat == .json)
        } catch {
            await session.close()
            context.console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        await session.close()
        let view = session.views.plan()
        view.show(run.plan)
        if let out {
            do {
                try SavedPlan(run: run, state: session.views.state).write(to: out)
                view.saved(to: out)
            } catch {
                context.console.error("Error: the plan was not saved: \(error)")
                throw ExitCode(1)
            }
        }
        let status: Int32 = !run.plan.problems.isEmpty ? 1 : (detailedExitcode && run.plan.summary.hasChanges ? 2 : 0)
        ProcessEnd.now(status, keeping: (desired, run))
    }
}
