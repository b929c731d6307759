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
        let console = context.console
        var sourceOptions = source
        var targets = options.targets
        var saved: SavedPlan?
        if let planFile {
            let plan = try SavedPlan.read(from: planFile)
            saved = plan
            sourceOptions = try Self.sourceOptions(for: plan.source)
            sourceOptions.secretsDirs = source.secretsDirs
            targets = plan.targets
        }
        let desired = try context.loadDesired(sourceOptions, resolveSecrets: true, allowPlaintext: options.allowPlaintextSecrets)
        let gate = try context.gate(trust.spec, source: sourceOptions.spec, desired: desired)
        let session = try await ReconcileSession.open(
            context: context, desired: desired, state: state, output: output,
            network: NetworkSettings(parallelism: options.parallelism, requestTimeout: trust.requestTimeoutDuration), gate: gate)
        let lock: AcquiredLock
        do {
            lock = try await session.store.acquireLock(
                context.lockHolder(command: "connsync apply"), options: LockOptions(timeout: lockTimeout.duration))
        } catch {
            await session.close()
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        if let previous = lock.tookOverFrom {
            session.progress.engine(.lockTakenOver(from: previous.description))
        }
        let heartbeat = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(30))
                try? await session.store.heartbeat(lock)
            }
        }
        let status = await apply(session: session, targets: targets, saved: saved)
        heartbeat.cancel()
        try? await session.store.releaseLock(lock)
        await session.close()
        if status != 0 { throw ExitCode(status) }
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

    func apply(session: ReconcileSession, targets: [Address], saved: SavedPlan?) async -> Int32 {
        let console = session.context.console
        let format = output.effectiveFormat
        let run: Engine.PlanRun
        do {
            run = try await session.plan(targets: targets, fingerprints: saved != nil)
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            return 1
        }
        if let saved, let refusal = saved.refusal(comparedWith: run.plan) {
            console.error("Error: \(refusal)")
            return 1
        }
        if format != .json { session.show(run.plan, format: format, command: "apply") }
        let actionable = run.plan.actionable
        let view = ApplyView(style: session.style)
        guard !actionable.isEmpty else {
            if format == .text, !run.plan.problems.isEmpty {
                console.line()
                for problem in run.plan.problems { console.line(view.line(problem)) }
            }
            // Nothing to send, perhaps state to bring in step (remote ids learnt, an interrupted
            // run's pending records adopted): that needs no confirmation.
            if run.hasWork {
                do {
                    _ = try await session.engine.apply(run, command: "connsync apply", host: SystemProcessEnvironment().hostName)
                } catch {
                    console.error("Error: \(ErrorText.describe(error))")
                    return 1
                }
            }
            if format == .json { console.write(Self.json(plan: run.plan, report: ApplyReport(results: [], problems: run.plan.problems))) }
            return run.plan.problems.isEmpty ? 0 : 1
        }
        if !autoApprove && saved == nil {
            guard console.stdinIsTerminal else {
                console.error(
                    "Error: apply needs confirmation, but stdin is not a terminal: nothing was sent. Pass --auto-approve to apply without asking (e.g. in CI), or save the plan with `plan --out` and apply that file."
                )
                return 1
            }
            console.write("\nDo you want to apply these changes? Only 'yes' will be accepted: ")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                console.line("Apply cancelled; nothing was sent.")
                return 1
            }
        }
        if format == .text {
            console.line()
            for problem in run.plan.problems { console.line(view.line(problem)) }
        }
        session.progress.expectChanges(actionable.count)
        let report: ApplyReport
        do {
            report = try await Self.interruptible(session: session) {
                try await session.engine.apply(run, command: "connsync apply", host: SystemProcessEnvironment().hostName)
            }
        } catch {
            session.progress.finish()
            console.error("Error: \(ErrorText.describe(error))")
            return 1
        }
        session.progress.finish()
        switch format {
        case .json:
            console.write(Self.json(plan: run.plan, report: report))
        default:
            console.line()
            console.line(view.summary(report))
            for line in view.failures(report) { console.line(line) }
        }
        if let stateError = report.stateError {
            console.error(
                "Error: \(stateError)\nChanges not yet sent once state could no longer be written were not sent; run `connsync plan` to see where the vendors stand.")
        }
        return report.isSuccess ? 0 : 1
    }

    /// Runs the apply so that Ctrl-C (SIGINT) or SIGTERM interrupts it cleanly: no new change is
    /// sent, what is in flight is given up, what was done is recorded (an "interrupted"
    /// history row), and the caller releases the lock. A second Ctrl-C ends the process.
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

    static func json(plan: Plan, report: ApplyReport) -> String {
        let results: [Value] = report.results.map { result in
            var entry: [String: Value] = [
                "address": .string(result.address.description), "action": .string(result.action.jsonActions[0]),
                "method": result.method.map(Value.string) ?? .null, "duration_ms": .int(ApplyView.milliseconds(result.duration)),
            ]
            switch result.outcome {
            case .succeeded(let status):
                entry["status"] = "succeeded"
                entry["http_status"] = .int(status)
            case .failed(let message):
                entry["status"] = "failed"
                entry["error"] = .string(message)
            case .refused(let reason):
                entry["status"] = "refused"
                entry["error"] = .string(reason)
            case .notSent(let reason):
                entry["status"] = "not-sent"
                entry["error"] = .string(reason)
            }
            return .object(entry)
        }
        let value: Value = [
            "plan": PlanJSONView().value(plan),
            "apply": [
                "results": .array(results),
                "summary": [
                    "created": .int(report.created), "updated": .int(report.updated), "deleted": .int(report.deleted),
                    "failed": .int(report.failed + report.problems.count), "not_sent": .int(report.notSent),
                    "interrupted": .bool(report.wasInterrupted),
                ],
            ],
        ]
        return value.jsonString(pretty: true) + "\n"
    }
}
