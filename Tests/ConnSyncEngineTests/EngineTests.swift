@testable import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation
import TestSupport
import Testing

/// The engine's decisions with providers made of functions (as crossplane-runtime's
/// `ExternalClientFns`) over a real SQLite state: what is observed, what is sent, what state
/// holds after, and that the lock is taken, kept alive on the engine's clock and released.
@Suite("Engine")
struct EngineTests {
    /// One row of the table: how the vendor behaves, what the caller decides, what must follow.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var observeFails = false
        /// Per connection name, the error kind its change fails with.
        var failures: [String: ProviderError.Kind] = [:]
        var decision: Engine.Decision = .apply
        var sent: Set<String>
        var succeeded: Set<String>
        var recorded: Set<String>
        var pending: [String: PendingOperation] = [:]
        var problems = 0
        var isSuccess: Bool

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "converges: two updates, one create", sent: ["a", "b", "c"], succeeded: ["a", "b", "c"], recorded: ["a", "b", "c"], isSuccess: true),
        Case(
            name: "a vendor refusal fails its change only, and restores its record", failures: ["b": .rejected], sent: ["a", "b", "c"],
            succeeded: ["a", "c"], recorded: ["a", "c"], isSuccess: false),
        Case(
            name: "a transport failure leaves its change pending: the next plan finds out", failures: ["c": .transport],
            sent: ["a", "b", "c"], succeeded: ["a", "b"], recorded: ["a", "b", "c"], pending: ["c": .create], isSuccess: false),
        Case(name: "an unobserved provider is a problem: nothing is sent", observeFails: true, sent: [], succeeded: [], recorded: [], problems: 1, isSuccess: false),
        Case(name: "the caller stops: nothing is sent", decision: .stop, sent: [], succeeded: [], recorded: [], isSuccess: true),
    ]

    @Test(arguments: cases)
    func reconcile(_ row: Case) async throws {
        try await withFixture { fixture in
            let provider = fixture.provider(observeFails: row.observeFails, failures: row.failures)
            let engine = fixture.engine(provider)
            let reconciliation = try await engine.reconcile(fixture.desired, fixture.options) { _ in row.decision }
            #expect(reconciliation.decision == row.decision)
            #expect(Set(provider.calls.sent) == row.sent)
            let report = reconciliation.report
            #expect(Set(report?.results.filter(\.isSuccess).map(\.address.name) ?? []) == row.succeeded)
            #expect(reconciliation.run.plan.problems.count == row.problems)
            #expect((report ?? ApplyReport(results: [], problems: reconciliation.run.plan.problems)).isSuccess == row.isSuccess)
            let records = try await fixture.store.records()
            #expect(Set(records.map(\.address.name)) == row.recorded)
            for record in records {
                #expect(record.pending == row.pending[record.address.name], "\(record.address)")
                if record.address.name == "c" { #expect(record.isCreatedByConnsync) }
            }
            // The lock is released whatever happened.
            #expect(try await fixture.store.currentLock() == nil)
        }
    }

    @Test func aConvergedSecondRunSendsNothing() async throws {
        try await withFixture { fixture in
            let provider = fixture.provider()
            _ = try await fixture.engine(provider).reconcile(fixture.desired, fixture.options) { _ in .apply }
            // The vendor now holds what was sent.
            provider.calls.converge()
            let second = try await fixture.engine(provider).reconcile(fixture.desired, fixture.options) { _ in .apply }
            #expect(second.run.plan.actionable.isEmpty)
            #expect(second.report == nil)
            #expect(provider.calls.sent.count == 3)
        }
    }

    @Test func aHeldLockIsAnErrorBeforeAnythingIsObserved() async throws {
        try await withFixture { fixture in
            let process = SystemProcessEnvironment()
            let holder = LockHolder(host: process.hostName, pid: process.processID, command: "someone else", startedAt: Date(), heartbeatAt: Date())
            let held = try await fixture.store.acquireLock(holder, options: LockOptions(timeout: .zero))
            var options = fixture.options
            options.lockTimeout = .zero
            let provider = fixture.provider()
            await #expect {
                _ = try await fixture.engine(provider).reconcile(fixture.desired, options) { _ in .apply }
            } throws: { error in
                guard case .locking(let cause)? = error as? Engine.ReconcileError, case .lockTimeout? = cause as? StateError else { return false }
                return true
            }
            #expect(provider.calls.observed == 0)
            try await fixture.store.releaseLock(held)
        }
    }

    /// The heartbeat runs on the engine's clock: nothing before 30 s of it, a heartbeat after.
    @Test func theLockIsKeptAliveOnTheEnginesClock() async throws {
        let clock = SteppedClock()
        try await withFixture(clock: clock) { fixture in
            let gate = Gate()
            let provider = fixture.provider(beforeApply: { await gate.wait() })
            let engine = fixture.engine(provider, clock: clock)
            let run = Task { try await engine.reconcile(fixture.desired, fixture.options) { _ in .apply } }
            let started = try await fixture.eventually { try await fixture.store.currentLock() != nil && provider.calls.sent.count == 3 }
            #expect(started)
            let first = try #require(try await fixture.store.currentLock())
            #expect(first.heartbeatAt == clock.date())
            clock.advance(by: .seconds(29))
            #expect(try await fixture.store.currentLock()?.heartbeatAt == first.heartbeatAt)
            clock.advance(by: .seconds(1))
            let beat = try await fixture.eventually { try await fixture.store.currentLock()?.heartbeatAt != first.heartbeatAt }
            #expect(beat)
            #expect(try await fixture.store.currentLock()?.heartbeatAt == first.heartbeatAt.addingTimeInterval(30))
            await gate.open()
            _ = try await run.value
            #expect(try await fixture.store.currentLock() == nil)
            #expect(clock.waiting == 0)
        }
    }

    @Test func aRefusedProviderIsNeverBuilt() async throws {
        try await withFixture { fixture in
            let provider = fixture.provider()
            let engine = fixture.engine(provider, gate: Engine.ProviderGate(refusals: ["wm": "refused for the test"]))
            let reconciliation = try await engine.reconcile(fixture.desired, fixture.options) { _ in .apply }
            #expect(fixture.built.value == 0)
            #expect(reconciliation.run.plan.problems.map(\.message) == ["refused for the test"])
            #expect(provider.calls.observed == 0 && provider.calls.sent.isEmpty)
        }
    }

    /// A provider's changes are sent from its transport's executor (the event loop its
    /// connections live on), so that a request and its answer stay on one thread.
    @Test func aProvidersChangesAreSentFromItsTransportsExecutor() async throws {
        try await withFixture { fixture in
            let transport = NIOHTTPTransport()
            let executor = try #require(transport.taskExecutor as? EventLoopTaskExecutor)
            let onLoop = Counter()
            let elsewhere = Counter()
            let note: @Sendable () -> Void = { executor.isCurrent ? onLoop.add() : elsewhere.add() }
            var provider = fixture.provider(beforeApply: note)
            provider.taskExecutor = executor
            let result = try await fixture.engine(provider).reconcile(fixture.desired, fixture.options) { _ in .apply }
            await transport.shutdown()
            #expect(result.report?.results.count == provider.calls.sent.count)
            #expect(provider.calls.sent.count >= 2)
            #expect(onLoop.value == provider.calls.sent.count)
            #expect(elsewhere.value == 0)
        }
    }

    /// A vendor's refusal of one change, sent from the loop, fails that change only.
    @Test func aRefusalSentFromTheLoopFailsOnlyItsChange() async throws {
        try await withFixture { fixture in
            let transport = NIOHTTPTransport()
            var provider = fixture.provider(failures: ["b": .rejected])
            provider.taskExecutor = transport.taskExecutor
            let result = try await fixture.engine(provider).reconcile(fixture.desired, fixture.options) { _ in .apply }
            await transport.shutdown()
            let results = try #require(result.report?.results)
            #expect(results.count == provider.calls.sent.count)
            #expect(results.filter { !$0.isSuccess }.map(\.address.name) == ["b"])
        }
    }

    /// A provider without an executor sends from the global pool, never from another
    /// provider's loop; the windows' refill loop takes an executor only when every provider
    /// names the same one.
    @Test func aProviderWithoutAnExecutorSendsFromThePool() async throws {
        try await withFixture { fixture in
            let transport = NIOHTTPTransport()
            let executor = try #require(transport.taskExecutor as? EventLoopTaskExecutor)
            let onLoop = Counter()
            let elsewhere = Counter()
            var looped = fixture.provider(beforeApply: { executor.isCurrent ? onLoop.add() : elsewhere.add() })
            looped.taskExecutor = executor
            let withLoop = looped
            let plain = fixture.provider(beforeApply: { executor.isCurrent ? onLoop.add() : elsewhere.add() })
            let other = ProviderConfig(
                name: "wm2", type: .wiremockCloud, baseURL: "http://127.0.0.1:1", auth: ProviderAuth(token: .resolved("t")), settings: ["userId": "u"])
            let withoutLoop = ProviderFns(
                config: other, mapping: plain.mapping, calls: plain.calls, observeFn: plain.observeFn, applyFn: plain.applyFn)
            let desired = DesiredState(
                source: fixture.desired.source, providers: [EngineFixture.config, other], databases: [],
                connections: fixture.desired.connections + fixture.desired.connections.map { connection in
                    var moved = connection
                    moved.address = Address(provider: "wm2", name: connection.address.name)
                    return moved
                })
            let engine = Engine(
                mappings: VendorRegistry.standard.mappings,
                buildProvider: { config throws(ProviderError) in config.name == "wm" ? withLoop : withoutLoop }, store: fixture.store,
                clock: ManualClock())
            let result = try await engine.reconcile(desired, fixture.options) { _ in .apply }
            await transport.shutdown()
            #expect(withLoop.calls.sent.count >= 2 && withoutLoop.calls.sent.count == withLoop.calls.sent.count)
            #expect(result.report?.results.count == withLoop.calls.sent.count * 2)
            #expect(onLoop.value == withLoop.calls.sent.count)
            #expect(elsewhere.value == withoutLoop.calls.sent.count)
            #expect(Engine.sharedExecutor(of: ["wm": withLoop, "wm2": withoutLoop]) == nil)
            #expect(Engine.sharedExecutor(of: ["wm": withLoop, "wm3": withLoop]) === executor)
            #expect(Engine.sharedExecutor(of: ["wm2": withoutLoop]) == nil)
        }
    }

    @Test func applyKeepsAWindowOfChangesPerProviderInProgress() async throws {
        try await withFixture { fixture in
            let connections = (0..<200).map { index in
                DesiredConnection(
                    address: Address(provider: "wm", name: String(format: "n%03d", index)), vendor: .wiremockCloud,
                    fields: DatabaseFields(
                        engine: .postgresql, host: "db.internal", port: 5432, database: "orders", username: "app",
                        password: .resolved("pw-n", source: .environment("PW"))))
            }
            let desired = DesiredState(
                source: SourceInfo(kind: .directory, location: "test"), providers: [EngineFixture.config], databases: [], connections: connections)
            let gate = Gate()
            let inside = Counter()
            let provider = fixture.provider(beforeApply: {
                inside.add()
                await gate.wait()
            })
            let engine = fixture.engine(provider)
            let options = fixture.options
            let run = Task { try await engine.reconcile(desired, options) { _ in .apply } }
            #expect(try await fixture.eventually { inside.value == Engine.applyWindow })
            // Held at the vendor, the window is full: no further change begins.
            for _ in 0..<20 { await Task.yield() }
            try await Task.sleep(for: .milliseconds(50))
            #expect(inside.value == Engine.applyWindow)
            await gate.open()
            let result = try await run.value
            #expect(result.report?.results.count == 200)
            #expect(result.report?.results.allSatisfy { if case .succeeded = $0.outcome { true } else { false } } == true)
            #expect(provider.calls.sent.count == 200)
        }
    }
}
