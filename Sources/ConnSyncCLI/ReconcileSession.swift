import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState

/// How a run talks to vendors.
struct NetworkSettings: Sendable {
    /// Most requests in flight overall.
    var parallelism: Int
    /// The whole-request deadline.
    var requestTimeout: Duration = .seconds(60)
}

/// What plan, apply and the demo share: state, transports, engine, progress, and the views
/// chosen once from the output options.
struct ReconcileSession: Sendable {
    let context: CommandContext
    let desired: DesiredState
    let store: any StateStore
    let stack: TransportStack
    let engine: Engine
    let progress: ProgressView
    let views: Views

    static func open(
        context: CommandContext, desired: DesiredState, state: StateOptions, output: OutputOptions, network: NetworkSettings,
        gate: Engine.ProviderGate = Engine.ProviderGate(), storeOverride: (any StateStore)? = nil
    ) async throws -> ReconcileSession {
        // Gathered on another core while the state opens: both come before the first request.
        async let gathered = desired.redactor
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
        let display = (try? state.location(environment: context.environment).shown) ?? "state"
        let views = Views(
            format: output.effectiveFormat, console: context.console, style: style, state: storeOverride == nil ? display : "demo state")
        progress.printsResults = views.printsProgressResults
        let redactor = await gathered
        let stack = context.transportStack(
            desired: desired, parallelism: network.parallelism, delegate: progress, requestTimeout: network.requestTimeout, redactor: redactor)
        let engine = context.engine(stack: stack, store: store, delegate: progress, gate: gate)
        return ReconcileSession(context: context, desired: desired, store: store, stack: stack, engine: engine, progress: progress, views: views)
    }

    var style: TextStyle { views.style }

    /// `fingerprints`: only a plan that is saved, or checked against a saved one, needs them.
    /// (The progress view follows the engine's events.)
    func plan(targets: [Address], fingerprints: Bool, views: Bool = true) async throws -> Engine.PlanRun {
        try await engine.plan(desired, targets: targets, fingerprints: fingerprints, views: views)
    }

    func close() async {
        await stack.shutdown()
        try? await store.close()
    }
}
