import Datasets
import Feedforward
import SeqTensor
import Training

/// The encoder-decoder's training task: every step a batch of pairs drawn at random (with
/// replacement), teacher forced. A `TrainingSession` runs it; `defaultOptions` are
/// `seqtool seq2seq train`'s.
public final class Seq2SeqTask: TrainingTask {
    /// `seq2seq train`'s defaults: Adam at 3e-3 annealed to 0 by a cosine over 4000 steps, clip 1.
    public static func defaultOptions(steps: Int = 4000) -> TrainingOptions {
        TrainingOptions(
            schedule: LearningRateSchedule(base: 3e-3, decay: .cosine(totalSteps: steps, minimum: 0)), clip: 1,
            steps: steps)
    }

    /// `seq2seq train`'s pairs per step.
    public static let defaultBatch = 64

    /// The model being trained.
    public let model: Seq2Seq
    /// The pairs' token ids.
    public let sources: [[Int]], targets: [[Int]]
    /// Pairs per step.
    public let batchSize: Int
    /// Draws the pairs of each step.
    public var generator: SeededGenerator

    /// A task training `model` on `pairs` (every character in the model's vocabulary, else an
    /// error naming `source`), `batch` pairs a step drawn by a generator seeded with `seed`.
    public init(model: Seq2Seq, pairs: StringPairs, source: String, batch: Int, seed: UInt64) throws {
        precondition(batch > 0 && !pairs.pairs.isEmpty, "Seq2SeqTask: no pairs or an empty batch")
        self.model = model
        sources = try pairs.pairs.map { try model.encode($0.input, source: source) }
        targets = try pairs.pairs.map { try model.encode($0.output, source: source) }
        batchSize = batch
        generator = SeededGenerator(seed: seed)
    }

    public var trainedModel: any Module { model }
    public var modelMetadata: [String: String] { model.metadata }
    public var stateFormat: String { "seqtool.seq2seq-state.v1" }

    public func batch(step: Int) throws -> TrainingBatch {
        let rows = (0..<batchSize).map { _ in generator.nextInt(below: sources.count) }
        return TrainingBatch(
            loss: model.loss(sources: rows.map { sources[$0] }, targets: rows.map { targets[$0] }), size: batchSize)
    }

    public func saveState(into checkpoint: inout TrainingCheckpoint) {
        checkpoint.saveGenerators(generator, group: SingleProcess())
        checkpoint.metadata["pairs"] = String(sources.count)
    }

    public func restoreState(from checkpoint: TrainingCheckpoint) throws {
        try checkpoint.requireSame([("pairs", String(sources.count))])
        generator = try checkpoint.generator(for: SingleProcess())
    }
}

extension Seq2Seq {
    /// The fraction of `pairs` whose greedy decoding equals the expected output exactly (at most
    /// twice the input's length plus 10 tokens); a character outside the vocabulary is an error
    /// naming `source`.
    public func exactMatch(_ pairs: StringPairs, source: String) throws -> Double {
        let all = try pairs.pairs.map { try encode($0.input, source: source) }
        var correct = 0
        for start in stride(from: 0, to: all.count, by: 256) {
            let end = min(all.count, start + 256)
            let decoded = greedy(
                Array(all[start..<end]), maxLength: 2 * (all[start..<end].map(\.count).max() ?? 0) + 10)
            for (k, d) in decoded.enumerated() where decode(d) == pairs.pairs[start + k].output { correct += 1 }
        }
        return Double(correct) / Double(max(pairs.pairs.count, 1))
    }
}
