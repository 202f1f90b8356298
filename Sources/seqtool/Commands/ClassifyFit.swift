import ArgumentParser
import Classification
import Datasets
import Foundation
import SeqTensor

/// `classify` with an architecture fitted in closed form (`--model minirocket`): the command chooses
/// a fit instead of a training session (no epochs, steps or optimizer, so none of their flags),
/// then reports, writes and summarises the model as it does every other.
extension ClassifyCommand {
    /// The flags of gradient training and of the neural architectures: a closed-form fit refuses
    /// them rather than ignore them.
    static let trainingFlags = [
        "--hidden", "--layers", "--rnn-layers", "--bidirectional", "--mlp-hidden", "--image", "--subsample",
        "--steps", "--epochs", "--batch", "--optimizer", "--lr", "--momentum", "--weight-decay", "--clip",
        "--schedule", "--lr-decay", "--lr-decay-every", "--warmup", "--min-lr", "--val-split", "--patience",
        "--normalize", "--no-normalize", "--checkpoint-every", "--resume", "--plateau-patience", "--folds",
        "--ensemble",
    ]

    /// The command line's options, up to a `--`.
    static var arguments: ArraySlice<String> { CommandLine.arguments.dropFirst().prefix { $0 != "--" } }

    /// Whether `flag` is on the command line (flags with defaults cannot tell by their values).
    static func given(_ flag: String) -> Bool { arguments.contains { $0 == flag || $0.hasPrefix(flag + "=") } }

    /// Refuses, naming it, the first training flag on the command line given with `architecture`.
    /// (The flags have defaults, so the command line, not their values, says which were given.)
    func refuseTrainingFlags(for architecture: Architecture) throws {
        guard
            let flag = Self.arguments.lazy.compactMap({ argument in
                Self.trainingFlags.first { argument == $0 || argument.hasPrefix($0 + "=") }
            }).first
        else { return }
        let chosen = Self.given("--model")
        throw CommandError(
            "\(flag) does not apply to " + (chosen ? "--model " : "the default model, ")
                + "\(architecture.name), which is fitted in closed form rather than trained (it takes --train, --test, "
                + "--test-split, --label-column, --features, --seed, --threads, --out, --plot and --json)"
                + (chosen ? "" : "; to train a network give --model fcn, resnet, lstm-fcn, lstm, ..."))
    }

    /// Fits `architecture` to every training series, then reports as after training: the chosen
    /// settings (MiniRocket: features, dilations, the ridge penalty) are in the text and the JSON line.
    func fit(_ architecture: Architecture, data: LabeledSeries, testSet: LabeledSeries?, group: any ProcessGroup)
        throws
    {
        guard group.size == 1 else {
            throw CommandError(
                "--model \(architecture.name) is fitted by one process: run it without mpirun "
                    + "(--threads uses the cores)")
        }
        guard let labels = data.labels else { throw CommandError("\(train): the series have no class labels") }
        if let problem = architecture.problem(channels: data.channels, length: nil) {
            throw CommandError("--model \(model.name): \(problem)")
        }
        let classifier = Classifier(
            architecture, channels: data.channels, length: nil, classNames: LabeledSeries.classNames(labels),
            random: RandomSource(seed: seeding.seed))
        if let testSet, let problem = classifier.problem(with: testSet, source: test ?? train) {
            throw CommandError(problem)
        }
        let (shortest, longest) = (data.lengths.min()!, data.lengths.max()!)
        printError(
            "classify: \(architecture.name), \(data.count) series of "
                + (shortest == longest ? "\(longest)" : "\(shortest)-\(longest)") + " steps x \(data.channels) "
                + "channel(s), \(classifier.classCount) classes" + (testSet.map { ", \($0.count) test series" } ?? "")
                + "; fitted in closed form")
        let start = Date()
        var chosen = try reporting { try classifier.fit(data) }
        let seconds = Date().timeIntervalSince(start)
        let trainAccuracy = chosen.removeValue(forKey: "train_accuracy")
        print(
            "fitted \(architecture.name) in " + String(format: "%.2f s", seconds)
                + chosen.sorted { $0.key < $1.key }.map { "; \($0.key) " + String(format: "%g", $0.value) }.joined())
        try reportOutcome(
            classifier, data: data, testSet: testSet, seconds: seconds, summary: chosen, trainAccuracy: trainAccuracy,
            group: group
        ) { try classifier.save(to: $0, extra: $1) }
    }
}
