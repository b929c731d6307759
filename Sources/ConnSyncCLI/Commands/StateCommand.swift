import ArgumentParser
import ConnSyncModel
import ConnSyncState
import Foundation

/// `connsync state`: look at what state holds (never secrets), and free a stuck lock.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "List and show state records, the apply history, and the lock.",
        subcommands: [List.self, Show.self, History.self, Unlock.self, HoldLock.self])

    static func formatDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func recordValue(_ record: ConnectionRecord) -> Value {
        [
            "address": .string(record.address.description), "provider_type": .string(record.vendor.rawValue),
            "remote_id": record.remoteID.map(Value.string) ?? .null, "created_by_connsync": .bool(record.isCreatedByConnsync),
            "secrets_recorded": .array(record.secretHashes.keys.sorted().map(Value.string)),
            "last_commit": record.lastCommit.map(Value.string) ?? .null, "updated_at": .string(formatDate(record.updatedAt)),
            "pending": record.pending.map { .string($0.rawValue) } ?? .null,
        ]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every connection state remembers.")

        @OptionGroup var state: StateOptions
        @Flag(name: .long, help: "JSON output.") var json = false

        func run() async throws {
            let context = CommandContext()
            let records = try await context.withStore(state) { try await $0.records() }
            if json {
                context.console.write(Value.array(records.map(StateCommand.recordValue)).jsonString(pretty: true) + "\n")
                return
            }
            guard !records.isEmpty else {
                context.console.line("No connections recorded yet (run connsync apply).")
                return
            }
            let rows = records.map { record in
                [
                    record.address.description, record.vendor.rawValue, record.remoteID ?? "-", record.isCreatedByConnsync ? "yes" : "no",
                    record.lastCommit.map { String($0.prefix(7)) } ?? "-", StateCommand.formatDate(record.updatedAt),
                ]
            }
            context.console.write(Table.render(header: ["ADDRESS", "TYPE", "REMOTE ID", "CREATED", "COMMIT", "UPDATED"], rows: rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one record (secrets only as “hash recorded”).")

        @Argument(help: ArgumentHelp("The connection.", valueName: "PROVIDER/NAME")) var address: String
        @OptionGroup var state: StateOptions
        @Flag(name: .long, help: "JSON output.") var json = false

        func run() async throws {
            guard let parsed = Address(parsing: address) else { throw ValidationError("expected PROVIDER/NAME, got '\(address)'") }
            let context = CommandContext()
            guard let record = try await context.withStore(state, { try await $0.record(for: parsed) }) else {
                context.console.error("Error: state has no record of \(parsed) (see `connsync state list`)")
                throw ExitCode(1)
            }
            if json {
                context.console.write(StateCommand.recordValue(record).jsonString(pretty: true) + "\n")
                return
            }
            var lines = [
                "address:             \(record.address)", "provider type:       \(record.vendor.rawValue)",
                "remote id:           \(record.remoteID ?? "-")", "created by connsync: \(record.isCreatedByConnsync ? "yes" : "no")",
                "last commit:         \(record.lastCommit ?? "-")", "updated:             \(StateCommand.formatDate(record.updatedAt))",
            ]
            if let pending = record.pending {
                lines.append("pending:             \(pending.rawValue) (an apply was interrupted while sending it; the next plan finds out)")
            }
            if record.secretHashes.isEmpty {
                lines.append("secrets:             none applied by connsync")
            } else {
                lines.append("secrets:")
                for field in record.secretHashes.keys.sorted() { lines.append("  \(field): (hash recorded)") }
            }
            context.console.line(lines.joined(separator: "\n"))
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "The history of applies, newest first.")

        @OptionGroup var state: StateOptions
        @Option(name: .long, help: "How many applies to show.") var limit: Int = 20
        @Flag(name: .long, help: "JSON output.") var json = false

        func run() async throws {
            let context = CommandContext()
            let limit = max(1, self.limit)
            let entries = try await context.withStore(state) { try await $0.history(limit: limit) }
            if json {
                let values: [Value] = entries.map { entry in
                    [
                        "id": entry.id.map { .int(Int($0)) } ?? .null, "started_at": .string(StateCommand.formatDate(entry.startedAt)),
                        "finished_at": .string(StateCommand.formatDate(entry.finishedAt)), "command": .string(entry.command),
                        "commit": entry.commit.map(Value.string) ?? .null, "source": .string(entry.source), "host": .string(entry.host),
                        "created": .int(entry.created), "updated": .int(entry.updated), "deleted": .int(entry.deleted),
                        "failed": .int(entry.failed),
                        "changes": .array(
                            entry.changes.map {
                                [
                                    "address": .string($0.address.description), "action": .string($0.action), "outcome": .string($0.outcome),
                                    "message": $0.message.map(Value.string) ?? .null,
                                ]
                            }),
                    ]
                }
                context.console.write(Value.array(values).jsonString(pretty: true) + "\n")
                return
            }
            guard !entries.isEmpty else {
                context.console.line("No applies recorded yet.")
                return
            }
            let rows = entries.map { entry in
                [
                    String(entry.id ?? 0), StateCommand.formatDate(entry.startedAt), entry.commit.map { String($0.prefix(7)) } ?? "-",
                    "\(entry.created)/\(entry.updated)/\(entry.deleted)/\(entry.failed)", entry.host, entry.command,
                ]
            }
            context.console.write(Table.render(header: ["ID", "STARTED", "COMMIT", "C/U/D/FAILED", "HOST", "COMMAND"], rows: rows))
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlock", abstract: "Show who holds the state lock; remove it with --force (only when that run is gone).")

        @OptionGroup var state: StateOptions
        @Flag(name: .long, help: "Remove the lock.") var force = false

        func run() async throws {
            let context = CommandContext()
            let force = self.force
            let message: [String]
            do {
                message = try await unlock(context: context, force: force)
            } catch let error as StateCommandError {
                context.console.error("Error: \(ErrorText.describe(error))")
                throw ExitCode(1)
            }
            for line in message { context.console.line(line) }
        }

        func unlock(context: CommandContext, force: Bool) async throws -> [String] {
            try await context.withStore(state) { store -> [String] in
                guard let holder = try await store.currentLock() else { return ["The state is not locked."] }
                guard force else {
                    return ["The state is locked by \(holder).", "If that run is gone, remove the lock with: connsync state unlock --force"]
                }
                // cli.md v1.1: never break the lock of a run that is still going on this host.
                let processes = SystemProcessEnvironment()
                if holder.host == processes.hostName, holder.pid != processes.processID, processes.isAlive(holder.pid) {
                    throw StateCommandError.holderAlive(holder)
                }
                _ = try await store.forceUnlock()
                return ["Removed the lock held by \(holder)."]
            }
        }
    }
}

enum StateCommandError: Error, CustomStringConvertible {
    case holderAlive(LockHolder)

    var description: String {
        switch self {
        case .holderAlive(let holder):
            return "the state is locked by \(holder), and that process is still running on this host: "
                + "refusing to break its lock. Wait for it, or stop it (kill \(holder.pid)); a lock whose process is gone is taken over at once"
        }
    }
}

/// Test support (hidden from help): takes the lock, appends `start PID` and `end PID` to a
/// marker file around a pause, then releases. Two processes running it prove mutual exclusion.
/// With `--while-exists FILE` the pause ends as soon as that file is gone (at most `--seconds`),
/// so a test decides when the lock is released instead of racing a fixed pause.
struct HoldLock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold-lock", shouldDisplay: false)

    @OptionGroup var state: StateOptions
    @OptionGroup var lockTimeout: LockTimeoutOptions
    @Option(name: .long) var marker: String
    @Option(name: .long) var seconds: Double = 0.3
    @Option(name: .customLong("while-exists")) var whileExists: String?

    func run() async throws {
        let context = CommandContext()
        let store = try await context.openStore(state)
        let lock: AcquiredLock
        do {
            lock = try await store.acquireLock(context.lockHolder(command: "connsync state hold-lock"), options: LockOptions(timeout: lockTimeout.duration))
        } catch {
            context.console.error("Error: \(ErrorText.describe(error))")
            try? await store.close()
            throw ExitCode(1)
        }
        let pid = ProcessInfo.processInfo.processIdentifier
        func mark(_ word: String) throws {
            let handle = FileHandle(forWritingAtPath: marker) ?? {
                FileManager.default.createFile(atPath: marker, contents: nil)
                return FileHandle(forWritingAtPath: marker)!
            }()
            handle.seekToEndOfFile()
            handle.write(Data("\(word) \(pid)\n".utf8))
            try handle.close()
        }
        try mark("start")
        if let whileExists {
            let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
            while FileManager.default.fileExists(atPath: whileExists), ContinuousClock.now < until {
                try await Task.sleep(for: .milliseconds(20))
            }
        } else {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        }
        try mark("end")
        try await store.releaseLock(lock)
        try await store.close()
    }
}

/// Left-aligned text columns.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
