import ArgumentParser
import ConnSyncModel

/// The root command: `connsync`.
public struct ConnSyncCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "connsync",
        abstract: "Declarative, git-driven reconciler for database connections held by SaaS vendors.",
        version: ConnSyncVersion.current,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, ApplyCommand.self, StateCommand.self, ImportCommand.self, WatchCommand.self, EmulatorCommand.self, DemoCommand.self,
        ]
    )

    public init() {}
}
