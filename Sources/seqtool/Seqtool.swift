import ArgumentParser

@main
struct Seqtool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seqtool",
        abstract: "Sequence models on the CPU: train, sample, classify, check parity with PyTorch, benchmark.",
        subcommands: [
            TrainCharCommand.self, PrepareCommand.self, SampleCommand.self, EvalCommand.self, InfoCommand.self,
            ParityCommand.self,
            BenchCommand.self, MakeSineCommand.self, ClassifyCommand.self, PredictCommand.self, MakeCorpusCommand.self,
            MakePairsCommand.self, Seq2SeqCommand.self, GenerateCommand.self, ForecastCommand.self,
        ]
    )
}
