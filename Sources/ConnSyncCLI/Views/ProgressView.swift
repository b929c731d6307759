import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import Foundation

/// Renders engine events on stderr: on a terminal, one progress line rewritten in place
/// (done/total, requests in flight, failures); otherwise nothing but warnings (retries,
/// waits, lock takeovers) as plain lines. Apply result lines go to stdout as each change
/// completes.
final class ProgressView: EngineDelegate, @unchecked Sendable {
    private let console: Console
    private let style: TextStyle
    private let lock = NSLock()
    private let interactive: Bool
    private let applyView: ApplyView
    private var providersTotal = 0
    private var providersStarted = 0
    private var providersDone = 0
    private var changesTotal = 0
    private var changesStarted = 0
    private var changesDone = 0
    private var failures = 0
    private var lastDraw = ContinuousClock.now
    private var hasProgressLine = false
    /// When the current phase (observing, applying) started; nil when none is running.
    private var phaseStarted: ContinuousClock.Instant?
    private var ticker: Task<Void, Never>?
    /// Whether result lines are printed as changes finish (text output).
    var printsResults = true

    /// How often the line is redrawn while nothing happens (a slow vendor, a long wait).
    static let refreshInterval: Duration = .milliseconds(500)

    init(console: Console, style: TextStyle) {
        self.console = console
        self.style = style
        interactive = console.stderrIsTerminal
        applyView = ApplyView(style: style)
    }

    deinit { ticker?.cancel() }

    func expectProviders(_ count: Int) {
        lock.withLock {
            providersTotal = count
            providersStarted = 0
            providersDone = 0
        }
        startPhase()
    }

    func expectChanges(_ count: Int) {
        lock.withLock {
            changesTotal = count
            changesDone = 0
            changesStarted = 0
        }
        startPhase()
    }

    /// Starts the elapsed time and the redraw ticker: the line moves even when no event comes.
    private func startPhase() {
        guard interactive else { return }
        lock.withLock { phaseStarted = ContinuousClock.now }
        guard ticker == nil else { return }
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.refreshInterval)
                guard let self, !Task.isCancelled else { return }
                if self.lock.withLock({ self.phaseStarted != nil }) { self.draw(force: true) }
            }
        }
    }

    /// Ends the phase: no more redraws until the next one starts.
    func finish() {
        lock.withLock { phaseStarted = nil }
        clear()
    }

    func engine(_ event: EngineEvent) {
        switch event {
        case .planning(let providers):
            expectProviders(providers)
        case .applying(let changes):
            expectChanges(changes)
        case .planned, .applied:
            finish()
        case .observing:
            lock.withLock {
                providersStarted += 1
                providersTotal = max(providersTotal, providersStarted)
            }
            draw()
        case .observed, .observeFailed:
            lock.withLock { providersDone += 1 }
            draw()
        case .changeStarted:
            lock.withLock { changesStarted += 1 }
            draw()
        case .changeFinished(let result):
            lock.withLock {
                changesDone += 1
                if !result.isSuccess { failures += 1 }
            }
            clear()
            if printsResults { console.line(applyView.line(result)) }
            draw(force: true)
        case .retrying(let provider, let attempt, let delay, let reason):
            warn("\(provider): \(reason); retrying in \(DurationText.format(delay)) (attempt \(attempt + 1))")
        case .waitingForJob(let address, let attempt, let delay, let code):
            let said = code.map { " (\($0))" } ?? ""
            warn("\(address): a job is using the connection\(said); waiting \(DurationText.format(delay)) (attempt \(attempt))")
        case .waitingForLock(let holder):
            warn("waiting for the state lock held by \(holder)")
        case .lockTakenOver(let holder):
            warn("took over a stale state lock held by \(holder)")
        case .lockReleaseFailed(let message):
            warn("the state lock was not released (\(message)); it expires once its heartbeat is stale")
        }
    }

    private func warn(_ text: String) {
        clear()
        console.error(style.yellow("Warning: ") + text)
        draw(force: true)
    }

    private func draw(force: Bool = false) {
        guard interactive else { return }
        let text: String? = lock.withLock {
            let now = ContinuousClock.now
            guard force || lastDraw.duration(to: now) > .milliseconds(100) else { return nil }
            lastDraw = now
            hasProgressLine = true
            let elapsed = phaseStarted.map { " · " + DurationText.format($0.duration(to: now)) } ?? ""
            if changesTotal > 0 {
                let inFlight = changesStarted - changesDone
                return "applying \(changesDone)/\(changesTotal) · \(inFlight) in flight · \(failures) failed\(elapsed)"
            }
            return "observing \(providersDone)/\(providersTotal) providers\(elapsed)"
        }
        if let text { console.errorRaw("\r\u{1B}[2K" + style.dim(text)) }
    }

    /// Removes the progress line before other output.
    func clear() {
        guard interactive else { return }
        let had = lock.withLock {
            defer { hasProgressLine = false }
            return hasProgressLine
        }
        if had { console.errorRaw("\r\u{1B}[2K") }
    }
}
