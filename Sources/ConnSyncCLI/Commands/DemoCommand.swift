import ArgumentParser
import ConnSyncConfig
import ConnSyncEmulator
import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import ConnSyncState
import Foundation
import Logging

/// `connsync demo`: an emulator in-process, seeded with drifted connections at every vendor;
/// plan and apply `examples/`, then plan again to show convergence.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Plan and apply examples/ against the bundled vendor emulator, then plan again.",
        discussion: """
            Starts the emulator on a free loopback port, seeds it with connections that drifted from \
            examples/ at every vendor, and points the examples' Providers at it. Secrets the examples \
            reference and that are not set get demo values (never printed). State goes to a temporary \
            folder unless --state is given.
            """)

    @Option(
        name: .long,
        help: ArgumentHelp("The desired state to demonstrate (default: examples/ here, or next to the connsync binary).", valueName: "DIR"))
    var dir: String?

    @Option(name: .long, help: ArgumentHelp("State (default: a temporary SQLite file).", valueName: "URL"))
    var state: String?

    @Flag(name: .customLong("no-color"), help: "No colour.")
    var noColor = false

    /// Values for the variables examples/ references, used when they are not set: the shared
    /// Database's, and each vendor's (its samples).
    static func demoSecrets(_ vendors: VendorRegistry) -> [String: String] {
        var secrets = ["ORDERS_DB_PASSWORD": "demo-orders-password-2026"]
        for definition in vendors.definitions { secrets.merge(definition.samples.demoSecrets) { first, _ in first } }
        return secrets
    }

    /// The remote state the demo starts from, in the emulator's seed format: each vendor's drift.
    static func drift(_ vendors: VendorRegistry) -> Value {
        var seed: [String: Value] = [:]
        for definition in vendors.definitions where !definition.samples.demoDrift.isEmpty {
            seed[definition.type.rawValue] = .array(definition.samples.demoDrift)
        }
        return .object(seed)
    }

    /// "an old host, a wrong port and no connection at all": what drifted, vendor by vendor.
    static func story(_ vendors: VendorRegistry) -> String {
        let parts = vendors.definitions.map(\.samples.demoStory).filter { !$0.isEmpty }
        guard parts.count > 1 else { return parts.first ?? "" }
        return parts.dropLast().joined(separator: ", ") + ", and " + parts[parts.count - 1]
    }

    /// The examples folder: `--dir`, else `examples/` in the current folder, else the one of the
    /// repository the binary was built in (found walking up from the executable), so that the
    /// demo works from any folder.
    static func examplesFolder(_ given: String?) -> String? {
        if let given { return given }
        var candidates = [FileManager.default.currentDirectoryPath + "/examples"]
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        }
        for _ in 0..<6 {
            candidates.append(folder.appendingPathComponent("examples").path)
            folder = folder.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/providers.yaml") }
    }

    func run() async throws {
        guard let dir = Self.examplesFolder(dir) else {
            Console().error(
                "Error: no examples/ folder here or next to the connsync binary; pass --dir FOLDER (a clone of the connsync repository holds examples/)")
            throw ExitCode(1)
        }
        let vendors = VendorRegistry.standard
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in Self.demoSecrets(vendors) where environment[name] == nil { environment[name] = value }
        let context = CommandContext(environment: environment, vendors: vendors)
        let console = context.console
        let style = TextStyle(
            isColored: TextStyle.shouldColor(noColorFlag: noColor, environment: environment, isTerminal: console.stdoutIsTerminal))
        func step(_ text: String) {
            console.line()
            console.line(style.bold("==> \(text)"))
        }

        // 1. The desired state, and the emulator, with the desired state's credentials.
        let sourceOptions = try SourceOptions.parse(["--dir", dir])
        var desired = try context.loadDesired(sourceOptions, resolveSecrets: true, allowPlaintext: false)
        var logger = Logger(label: "connsync.demo.emulator")
        logger.logLevel = .critical
        let emulator = Emulator(configuration: EmulatorConfiguration(credentials: Self.credentials(desired)), logger: logger)
        let port: Int
        do {
            port = try await emulator.start()
        } catch {
            console.error("Error: cannot start the emulator: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        let base = "http://127.0.0.1:\(port)"
        step("Started the vendor emulator on \(base) (\(vendors.types.map(\.rawValue).joined(separator: ", ")))")
        try await emulator.seed(Self.drift(vendors))
        console.line("Seeded it with connections that drifted from \(dir)/:")
        console.line(Self.story(vendors) + ".")

        // 2. The desired state, pointed at the emulator.
        desired.providers = desired.providers.map { provider in
            var copy = provider
            copy.baseURL = base + (vendors.definition(for: provider.type)?.samples.basePath ?? "")
            return copy
        }

        // 3. State in a temporary folder (unless --state).
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("connsync-demo-\(UUID().uuidString)")
        let location = try state.map(StateLocation.init(parsing:)) ?? .sqlite(path: temporary.appendingPathComponent("state.db").path)
        let store: any StateStore
        do {
            store = try await openStateStore(location)
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            await emulator.stop()
            throw ExitCode(1)
        }
        let output = try OutputOptions.parse(noColor ? ["--no-color"] : [])
        let session = try await ReconcileSession.open(
            context: context, desired: desired, state: try StateOptions.parse([]), output: output,
            network: NetworkSettings(parallelism: 64), storeOverride: store)
        defer { try? FileManager.default.removeItem(at: temporary) }

        var succeeded = false
        do {
            let view = session.views.plan()
            step("connsync plan: what differs at each vendor")
            view.show(try await session.plan(targets: [], fingerprints: false).plan)

            step("connsync apply --auto-approve: converge every vendor")
            var options = context.reconcileOptions(command: "connsync demo", lockTimeout: .seconds(30))
            options.host = "demo"
            let applied = try await session.engine.reconcile(desired, options) { _ in .apply }
            let report = applied.outcome
            console.line(ApplyView(style: style).summary(report))

            step("connsync plan again: nothing left to do")
            let second = try await session.plan(targets: [], fingerprints: false)
            view.show(second.plan)
            let writes = await emulator.requestLog().filter { $0["method"]?.stringValue != "GET" }.count
            console.line()
            console.line("The emulator saw \(writes) write request\(writes == 1 ? "" : "s"), all from the apply; no secret was printed.")
            console.line("Next: `connsync validate --dir examples`, then point examples/providers.yaml at your vendors.")
            succeeded = report.isSuccess && !second.plan.summary.hasChanges && second.plan.problems.isEmpty
        } catch {
            session.progress.finish()
            switch error {
            case let failure as Engine.ReconcileError:
                switch failure {
                case .locking(let cause), .running(let cause): console.error("Error: \(ErrorText.describe(cause))")
                }
            default:
                console.error("Error: \(ErrorText.describe(error))")
            }
        }
        await session.close()
        await emulator.stop()
        if !succeeded { throw ExitCode(1) }
    }

    /// The credentials the emulator accepts: the desired state's, vendor by vendor (the
    /// first Provider of a type decides).
    static func credentials(_ desired: DesiredState) -> EmulatorCredentials {
        var credentials = EmulatorCredentials(byVendor: [:])
        for provider in desired.providers where credentials[provider.type.rawValue].isEmpty {
            for (key, secret) in provider.auth.all {
                credentials[provider.type.rawValue, key] = secret.value?.revealed()
            }
        }
        return credentials
    }
}
