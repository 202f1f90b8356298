import ArgumentParser
import Datasets
import Foundation
import SeqTensor

/// `seqtool prepare`: read a corpus once and store its vocabulary and ids, which `train-char`
/// and `eval` then map into memory instead of reading the text again.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Store a corpus's vocabulary and token ids for train-char and eval to map (large corpora).",
        discussion: """
            The file holds one byte per character for a vocabulary of up to 256 (two up to 65,536, \
            four beyond); give it as --corpus to train-char or eval. Its layout is described in \
            Sources/Datasets/PreparedCorpus.swift.
              seqtool prepare --corpus enwik8 --out enwik8.tokens
              seqtool train-char --corpus enwik8.tokens --val-split 0.05
            """
    )

    @Option(help: "Text file or folder of text files (UTF-8).") var corpus: String
    @Option(help: "The prepared corpus to write.") var out: String
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        try overwrite.check(out, flag: "--out", isExpectedKind: PreparedCorpus.isPrepared)
        let start = Date()
        let progress = ByteProgress(label: "reading \(corpus)")
        let read = try reporting { try CorpusReader.read(path: corpus, progress: progress.update) }
        progress.finish()
        try reporting { try PreparedCorpus.write(read, to: out) }
        print(
            "wrote \(out): \(read.tokens.count) characters, vocabulary \(read.vocabulary.count), "
                + "\(read.tokens.buffer.width) byte(s) per character ("
                + String(format: "%.1f s", Date().timeIntervalSince(start)) + ")")
    }
}
