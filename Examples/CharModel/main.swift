// Trains a character-level LSTM on a text file and samples from it, as char-rnn does: truncated
// backpropagation through time over parallel streams of the text, the state carried from one
// batch to the next, in a TrainingSession. Only the public API of LanguageModel, Datasets, Training
// and SeqTensor.
// Run: swift run -c release CharModel [text-file] [steps]
import Datasets
import Foundation
import LanguageModel
import SeqTensor
import Training

let arguments = CommandLine.arguments
let path = arguments.count > 1 ? arguments[1] : "corpora/plays.txt"
let steps = arguments.count > 2 ? Int(arguments[2]) ?? 300 : 300

do {
    // The text as one token per character; the vocabulary is the characters it holds.
    let corpus = try CorpusReader.read(path: path)
    print("\(path): \(corpus.tokens.count) characters, vocabulary \(corpus.vocabulary.count)")

    // 90% of the text as 16 streams of 64-step windows; the rest to validate on.
    var options = CharTrainer.Options()
    options.batch = 16
    options.steps = 64
    let (training, validation, _) = try StreamBatches.split(
        corpus.tokens, validationFraction: 0.1, batch: options.batch, steps: options.steps, source: path)

    // Embedding(V, 32) -> LSTM(32 -> 128, 2 layers) -> Linear(128, V)
    let configuration = CharLanguageModel.Configuration(
        cell: .lstm, vocabularySize: corpus.vocabulary.count, embedding: 32, hidden: 128, layers: 2)
    let model = CharLanguageModel(configuration, vocabulary: corpus.vocabulary, random: RandomSource(seed: 1))
    print("\(model.parameterCount) parameters")

    // Each step: forward T steps of every stream, BPTT, clip the gradient norm to 5, Adam at 3e-3;
    // the validation loss every 100 steps.
    let task = CharTrainer(model: model, options: options, training: training, validation: validation)
    var trainingOptions = CharTrainer.defaultOptions
    (trainingOptions.learningRate, trainingOptions.steps, trainingOptions.evaluateEvery) = (3e-3, steps, 100)
    let session = TrainingSession(task: task, options: trainingOptions)
    session.onEvent = { event in
        guard case .evaluation(let evaluation) = event else { return }
        let validation = evaluation.scores["val_loss"].map { String(format: "%.4f", $0) } ?? "-"
        let train = String(format: "%.4f", session.curves.train.last!.loss)
        print("step \(evaluation.step): train loss \(train), validation loss \(validation)")
    }
    try session.run()

    // Save with the vocabulary in the metadata, load it back, and draw 200 characters at
    // temperature 0.8 after a prime, one token at a time on the batch-1 stepper.
    try model.save(to: "char-model.safetensors")
    let (loaded, _) = try CharLanguageModel.load(path: "char-model.safetensors")
    var generator = SeededGenerator(seed: 7)
    var text = ""
    try loaded.sample(
        prime: "The ", length: 200, options: SamplingOptions(temperature: 0.8), generator: &generator
    ) { text.unicodeScalars.append($0) }
    print("The " + text)
} catch {
    // Errors name what and where: the file, the line, the character.
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
