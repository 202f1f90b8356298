import ArgumentParser
import Datasets
import Foundation
import SeqTensor

/// `seqtool make-pairs`: sequence-to-sequence demo data as TSV (`input<TAB>output`).
struct MakePairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-pairs",
        abstract:
            "Write string pairs for seq2seq: reverse (digit strings and their reversal) or add (\"123+45\" -> \"168\")."
    )

    @Argument(help: "The task.") var task: Task
    @Option(help: "TSV file to write.") var out: String
    @Option(help: "Number of pairs.") var count = 20000
    @Option(name: .customLong("min-digits"), help: "reverse: shortest string.") var minDigits = 5
    @Option(
        name: .customLong("max-digits"),
        help: "reverse: longest string (default 12); add: digits per number (default 3).") var maxDigits: Int?
    @OptionGroup var seeding: SeedOptions
    @Option(help: "A pairs file whose inputs must not appear (to make a test set of unseen inputs).") var exclude:
        String?

    /// What the pairs teach.
    enum Task: String, ExpressibleByArgument, CaseIterable {
        /// Digit strings and their reversal.
        case reverse
        /// "123+45" and "168".
        case add
    }

    func validate() throws {
        try require(count > 0, "--count", "must be positive")
        try require(minDigits > 0, "--min-digits", "must be positive")
        try require(
            maxDigits.map { $0 >= (task == .add ? 1 : minDigits) && $0 <= 15 } ?? true, "--max-digits",
            "must be in --min-digits...15")
    }

    func run() throws {
        var g = SeededGenerator(seed: seeding.seed)
        let excluded = Set(
            try exclude.map { path in try reporting { try StringPairs(tsv: path) }.pairs.map(\.input) } ?? [])
        var pairs = StringPairs(pairs: [])
        var attempts = 0
        while pairs.pairs.count < count {
            attempts += 1
            guard attempts <= 100 * count else {
                throw CommandError("--exclude \(exclude!): too few inputs left to draw \(count) unseen pairs")
            }
            let drawn =
                task == .reverse
                ? StringPairs.reverse(count: 1, minDigits: minDigits, maxDigits: maxDigits ?? 12, generator: &g)
                : StringPairs.addition(count: 1, maxDigits: maxDigits ?? 3, generator: &g)
            if !excluded.contains(drawn.pairs[0].input) { pairs.pairs.append(drawn.pairs[0]) }
        }
        try reporting { try AtomicFile.write(pairs.tsv, to: out) }
        print("wrote \(count) \(task.rawValue) pairs to \(out)")
    }
}
