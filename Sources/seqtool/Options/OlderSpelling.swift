import ArgumentParser

/// A command whose modes are subcommands (`generate train|draw`), and which took them as flags
/// before (`generate --train ...` meant `generate train --train ...`).
protocol CommandWithModes: ParsableCommand {
    /// Each mode's subcommand, by the flag that chose it in the older spelling.
    static var modes: [(flag: String, command: any ParsableCommand.Type)] { get }
}

/// The older spelling of a `CommandWithModes`, its hidden default subcommand: runs the mode
/// whose flag the arguments contain, after a note on standard error that names the new
/// spelling; without any of the flags, an error that lists the modes.
struct OlderSpelling<Command: CommandWithModes>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "older-spelling", shouldDisplay: false)
    }

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        let name = Command.configuration.commandName!
        guard let mode = Command.modes.first(where: { arguments.contains($0.flag) }) else {
            let modes = Command.modes.map { "seqtool \(name) \($0.command.configuration.commandName!)" }
            throw CommandError("\(name): say what to do: \(modes.joined(separator: " or ")) (see --help)")
        }
        let subcommand = mode.command.configuration.commandName!
        printError("note: `seqtool \(name) \(mode.flag) ...` is now `seqtool \(name) \(subcommand) \(mode.flag) ...`")
        var command = try mode.command.parseAsRoot(arguments)
        try command.run()
    }
}

/// Says on standard error that flag `older` is now spelled `newer` (older spellings keep working
/// for one release, hidden from `--help`).
func noteOlderSpelling(_ older: String, _ newer: String) {
    printError("note: \(older) is now \(newer); the older spelling will go in the next release")
}
