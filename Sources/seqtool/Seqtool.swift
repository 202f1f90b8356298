import ArgumentParser
import Distributed
import Foundation

@main
struct Seqtool: ParsableCommand {
    /// The release, printed by `seqtool --version`.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "seqtool",
        abstract: "Sequence models on the CPU: train, sample, classify, check parity with PyTorch, benchmark.",
        version: Seqtool.version,
        subcommands: [
            TrainCharCommand.self, PrepareCommand.self, SampleCommand.self, EvalCommand.self, InfoCommand.self,
            ParityCommand.self,
            BenchCommand.self, MakeSineCommand.self, ClassifyCommand.self, PredictCommand.self, MakeCorpusCommand.self,
            MakePairsCommand.self, Seq2SeqCommand.self, GenerateCommand.self, ForecastCommand.self,
            ExportCommand.self, ImportCommand.self,
        ]
    )

    /// ArgumentParser's `main`, in the job `mpirun` started, if any: only the commands that train
    /// data-parallel run on several ranks; ranks other than 0 print nothing but errors; a failure
    /// on any rank ends the whole job (the others may be waiting for it in a collective).
    static func main() {
        do {
            var command = try parseAsRoot()
            if World.size > 1 {
                guard command is DataParallelCommand else {
                    let name = type(of: command).configuration.commandName ?? "this command"
                    throw CommandError(
                        "\(name) runs in one process: start it without mpirun (train-char and classify train on "
                            + "several ranks)")
                }
                if World.rank > 0 { dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO) }
            }
            try command.run()
            World.finish()
        } catch {
            guard World.size > 1, exitCode(for: error) != .success else { exit(withError: error) }
            printError("rank \(World.rank): " + fullMessage(for: error), always: true)
            World.abort(code: exitCode(for: error).rawValue)
        }
    }
}

/// A command that trains data-parallel when `mpirun` starts several ranks of it.
protocol DataParallelCommand {}
