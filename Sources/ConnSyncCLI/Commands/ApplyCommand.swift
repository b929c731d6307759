import ArgumentParser
import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncState
import Foundation

/// `connsync apply [PLANFILE]`: print the plan, ask, converge.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Print the plan, ask for confirmation, then converge every vendor.",
        discussion: """
            On a terminal apply asks for `yes`; when stdin is not a terminal it refuses unless \
            --auto-approve is given. With PLANFILE (from `plan --out`), it applies exactly that plan and \
            refuses, sending nothing, if the remote or desired state changed since.
            Exit codes: 0 converged, 1 some change failed or nothing could run.
            """)

    @Argument(help: ArgumentHelp("A plan saved by `connsync plan --out`.", valueName: "PLANFILE"))
    var planFile: String?

    @OptionGroup var source: SourceOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var lockTimeout: LockTimeoutOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var options: PlanOptions
    @OptionGroup var trust: TrustOptions

    @Flag(name: .customLong("auto-approve"), help: "Apply without asking.")
    var autoApprove = false

    func run() async throws {
        let context = CommandContext()
        var sourceOptions = source
        var targets = options.targets
        var saved: SavedPlan?
        if let planFile {
            let plan: SavedPlan
            do {
                plan = try SavedPlan.read(from: planFile)
            } catch {
                // Not a usage error: the file cannot be applied (exit 1, as cli.md says).
                context.console.error("Error: \(ErrorText.describe(error))")
                throw ExitCode(1)
            }
            saved = plan
            sourceOptions = try Self.sourceOptions(for: plan.source)
            sourceOptions.takeSecretOptions(from: source)
            targets = plan.targets
        }
        let desired = try context.loadDesired(
            sourceOptions, resolveSecrets: true, allowPlaintext: options.allowPlaintextSecrets, trust: trust.spec)
        let gate = try context.gate(trust.spec, source: sourceOptions.spec, desired: desired)
        let session = try await ReconcileSession.open(
            context: context, desired: desired, state: state, output: output,
            network: NetworkSettings(parallelism: options.parallelism, requestTimeout: trust.requestTimeoutDuration), gate: gate)
        let (status, reconciliation) = await apply(session: session, targets: targets, saved: saved)
        await session.close()
        ProcessEnd.now(status, keeping: (desired, reconciliation))
    }

    /// The source a saved plan was made from: the same folder, or the exact commit.
    static func sourceOptions(for info: SourceInfo) throws -> SourceOptions {
        switch info.kind {
        case .directory:
            return try SourceOptions.parse(["--dir", info.location])
        case .git:
            var arguments = ["--repo", info.location, "--ref", info.commit ?? info.ref ?? "HEAD"]
            if let path = info.path, !path.isEmpty { arguments += ["--path", path] }
            return try SourceOptions.parse(arguments)
        }
    }

    /// One reconcile (``Engine/reconcile(_:_:decide:runApply:)``): the plan is shown, checked
    /// against a saved one, confirmed, then applied; the exit status says how it went. The
    /// reconciliation is returned to be kept alive to the exit (see ``ProcessEnd``).
    func apply(session: ReconcileSession, targets: [Address], saved: SavedPlan?) async -> (Int32, Engine.Reconciliation?) {
        let console = session.context.console
        let view = session.views.apply()
        let options = session.context.reconcileOptions(
            command: "connsync apply", lockTimeout: lockTimeout.duration, targets: targets, fingerprints: saved != nil,
            views: output.effectiveFormat == .json)
        let confirm = !autoApprove && saved == nil
        let reconciliation: Engine.Reconciliation
        do {
            reconciliation = try await session.engine.reconcile(
                session.desired, options,
                decide: { run in
                    if let saved, let refusal = saved.refusal(comparedWith: run.plan) {
                        console.error("Error: \(refusal)")
                        return .stop
                    }
                    view.show(run.plan)
                    let changes = run.plan.summary.changes
                    // Nothing to send, perhaps state to bring in step (remote ids learnt, an
                    // interrupted run's pending records adopted): that needs no confirmation.
                    if changes > 0, confirm, !Self.confirmed(console) { return .stop }
                    view.problems(of: run.plan, hasChanges: changes > 0)
                    return .apply
                },
                runApply: { body in try await Self.interruptible(session: session, body) })
        } catch {
            session.progress.finish()
            switch error {
            case .locking(let cause), .running(let cause): console.error("Error: \(ErrorText.describe(cause))")
            }
            return (1, nil)
        }
        session.progress.finish()
        guard reconciliation.decision == .apply else { return (1, reconciliation) }
        let plan = reconciliation.run.plan
        let report = reconciliation.outcome
        view.result(plan, report)
        guard plan.summary.hasChanges else {
            // Nothing was sent; state may have been brought in step (remote ids, pending records).
            if let stateError = report.stateError { console.error("Error: state could not be brought in step: \(stateError)") }
            return (plan.problems.isEmpty && report.stateError == nil ? 0 : 1, reconciliation)
        }
        if let stateError = report.stateError {
            console.error(
                "Error: \(stateError)\nChanges not yet sent once state could no longer be written were not sent; run `connsync plan` to see where the vendors stand.")
        }
        return (report.isSuccess ? 0 : 1, reconciliation)
    }

    /// Asks for `yes` on a terminal; refuses when stdin is not one (nothing is sent).
    static func confirmed(_ console: Console) -> Bool {
        guard console.stdinIsTerminal else {
            console.error(
                "Error: apply needs confirmation, but stdin is not a terminal: nothing was sent. Pass --auto-approve to apply without asking (e.g. in CI), or save the plan with `plan --out` and apply that file."
            )
            return false
        }
        console.write("\nDo you want to apply these changes? Only 'yes' will be accepted: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            console.line("Apply cancelled; nothing was sent.")
            return false
        }
        return true
    }

    /// Runs the apply so that Ctrl-C (SIGINT) or SIGTERM interrupts it cleanly: no new change is
    /// sent, what is in flight is given up, what was done is recorded (an "interrupted"
    /// history row), and the engine releases the lock. A second Ctrl-C ends the process.
    static func interruptible(session: ReconcileSession, _ body: @escaping @Sendable () async throws -> ApplyReport) async throws -> ApplyReport {
        let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
        let work = Task { try await body() }
        let console = session.context.console
        let progress = session.progress
        let watcher = Task {
            let signal = await signals.wait()
            guard !Task.isCancelled else { return }
            signals.restore()
            progress.clear()
            console.error(
                "\nInterrupted (\(signal == SIGINT ? "SIGINT" : "SIGTERM")): sending nothing more, recording what was done. Press Ctrl-C again to stop at once.")
            work.cancel()
        }
        defer {
            watcher.cancel()
            signals.restore()
        }
        return try await work.value
    }
}
