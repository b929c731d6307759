import ArgumentParser
import ConnSyncConfig
import ConnSyncEmulator
import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import ConnSyncState
import Foundation
import Logging

/// `connsync demo`: an emulator in-process, seeded with drifted connections at all five
/// vendors; plan and apply `examples/`, then plan again to show convergence.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Plan and apply examples/ against the bundled vendor emulator, then plan again.",
        discussion: """
            Starts the emulator on a free loopback port, seeds it with connections that drifted from \
            examples/ at all five vendors, and points the examples' Providers at it. Secrets the examples \
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

    /// Values for the variables examples/ references, used when they are not set.
    static let demoSecrets: [String: String] = [
        "WIREMOCK_TOKEN": "demo-wiremock-api-key", "REPORTER_TOKEN": "demo-reporter-jwt", "CREDIBLE_TOKEN": "demo-credible-token",
        "DATAFOR_USERNAME": "demo-admin", "DATAFOR_PASSWORD": "demo-datafor-password", "WIX_TOKEN": "demo-wix-token",
        "ORDERS_DB_PASSWORD": "demo-orders-password-2026", "WIX_SECRET_KEY": "2b723306-4d74-42a2-8438-2ff40da3e6b6",
    ]

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
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in Self.demoSecrets where environment[name] == nil { environment[name] = value }
        let context = CommandContext(environment: environment)
        let console = context.console
        let style = TextStyle(
            isColored: TextStyle.shouldColor(noColorFlag: noColor, environment: environment, isTerminal: console.stdoutIsTerminal))
        func step(_ text: String) {
            console.line()
            console.line(style.bold("==> \(text)"))
        }

        // 1. The emulator, with the demo credentials.
        var logger = Logger(label: "connsync.demo.emulator")
        logger.logLevel = .critical
        let emulator = Emulator(
            configuration: EmulatorConfiguration(
                credentials: EmulatorCredentials(
                    wiremockToken: environment["WIREMOCK_TOKEN"], reporterToken: environment["REPORTER_TOKEN"],
                    credibleToken: environment["CREDIBLE_TOKEN"], dataforUser: environment["DATAFOR_USERNAME"],
                    dataforPassword: environment["DATAFOR_PASSWORD"], wixToken: environment["WIX_TOKEN"])),
            logger: logger)
        let port: Int
        do {
            port = try await emulator.start()
        } catch {
            console.error("Error: cannot start the emulator: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        let base = "http://127.0.0.1:\(port)"
        step("Started the vendor emulator on \(base) (wiremock-cloud, lerian-reporter, credible-data, datafor, wix-data)")
        try await emulator.seed(Self.drift)
        console.line("Seeded it with connections that drifted from \(dir)/: an old host, a wrong port, a stale label,")
        console.line("unmanaged pooling settings, an extra wix collection, and no credible-data connection at all.")

        // 2. The desired state, pointed at the emulator.
        let sourceOptions = try SourceOptions.parse(["--dir", dir])
        var desired = try context.loadDesired(sourceOptions, resolveSecrets: true, allowPlaintext: false)
        desired.providers = desired.providers.map { provider in
            var copy = provider
            copy.baseURL = provider.type == .datafor ? "\(base)/datafor" : base
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
            step("connsync plan: what differs at each vendor")
            let first = try await session.plan(targets: [], fingerprints: false)
            session.show(first.plan, format: .text, command: "plan")

            step("connsync apply --auto-approve: converge every vendor")
            session.progress.expectChanges(first.plan.actionable.count)
            let report = try await session.engine.apply(first, command: "connsync demo", host: "demo")
            session.progress.finish()
            console.line(ApplyView(style: style).summary(report))

            step("connsync plan again: nothing left to do")
            let second = try await session.plan(targets: [], fingerprints: false)
            session.show(second.plan, format: .text, command: "plan")
            let writes = await emulator.requestLog().filter { $0["method"]?.stringValue != "GET" }.count
            console.line()
            console.line("The emulator saw \(writes) write request\(writes == 1 ? "" : "s"), all from the apply; no secret was printed.")
            console.line("Next: `connsync validate --dir examples`, then point examples/providers.yaml at your vendors.")
            succeeded = report.isSuccess && !second.plan.summary.hasChanges && second.plan.problems.isEmpty
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
        }
        await session.close()
        await emulator.stop()
        if !succeeded { throw ExitCode(1) }
    }

    /// The remote state the demo starts from: drifted from examples/ at every vendor.
    static let drift: Value = [
        "wiremock-cloud": [
            [
                "userId": "acme-platform", "connectionName": "orders", "databaseType": "POSTGRESQL", "host": "orders-old.db.internal",
                "port": 5432, "databaseName": "orders", "username": "app", "password": "an-old-password",
            ]
        ],
        "lerian-reporter": [
            [
                "tenantId": "acme", "configName": "orders-reporting", "productName": "reporting", "type": "POSTGRESQL",
                "host": "orders.db.internal", "port": 5433, "databaseName": "orders", "userName": "app", "schema": "public",
                "ssl": ["mode": "require"], "metadata": ["team": "data", "owner": "someone-who-left"], "password": "an-old-password",
            ],
            [
                "tenantId": "acme", "configName": "ledger-reporting", "productName": "reporting", "type": "MYSQL",
                "host": "ledger.db.internal", "port": 3306, "databaseName": "ledger", "userName": "reporter",
            ],
        ],
        "datafor": [
            [
                "name": "orders", "hostname": "10.0.4.12", "databasePort": "5432", "databaseName": "orders", "username": "app",
                "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"],
                "connectionPoolingProperties": ["initialSize": "2", "maxActive": "40", "maxIdle": "10", "minIdle": "2"],
                "extraOptions": ["POSTGRESQL.TimeZone": "Europe/Berlin"], "password": "an-old-password",
            ]
        ],
        "wix-data": [
            [
                "name": "OrdersAdapter", "endpoint": "https://orders-adapter.acme.example/wix",
                "configuration": [
                    "secretKey": "2b723306-4d74-42a2-8438-2ff40da3e6b6", "environment": "PRODUCTION",
                    "collections": ["orders", "customers", "legacy_orders"], "tenantId": "acme-old-site",
                ],
            ]
        ],
    ]
}
