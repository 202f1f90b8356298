import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor
import Training

/// The character model's training task, as char-rnn trains it: truncated BPTT over B parallel
/// streams, each step the next T characters of every stream, the final state carried (detached)
/// into the next step and reset when the streams wrap. A `TrainingSession` runs it (optimizer,
/// schedule, clipping, evaluation, checkpoints); `defaultOptions` are `train-char`'s defaults.
///
/// Data-parallel over a `ProcessGroup` of N ranks, each rank takes B/N of the B streams and the
/// gradients are averaged before clipping, so the same options train the same model on 1 rank
/// and on N (up to the order of float sums). The validation streams are shared out too, and their
/// loss summed. With dropout each rank draws its own masks (rank 0 the masks one process would).
public final class CharTrainer: TrainingTask {
    /// The batches: char-rnn's batch and length.
    public struct Options: Sendable, Equatable {
        /// Parallel streams (B, char-rnn's `-batch_size`) and BPTT steps (T, `-seq_length`).
        public var batch = 32, steps = 64
        /// The defaults: batch 32, 64 steps.
        public init() {}
    }

    /// `train-char`'s defaults: Adam at 2e-3, clip 5, 2000 steps, validation every 250 steps and a
    /// checkpoint every 500.
    public static var defaultOptions: TrainingOptions {
        var options = TrainingOptions(schedule: LearningRateSchedule(base: 2e-3), clip: 5, steps: 2000)
        (options.evaluateEvery, options.checkpointEvery) = (250, 500)
        return options
    }

    /// The model being trained.
    public let model: CharLanguageModel
    /// The batches.
    public let options: Options
    /// This rank's training streams (all B of them in one process) and the position in them.
    public var batches: StreamBatches
    /// This rank's validation streams, if there is validation text.
    public let validation: StreamBatches?
    /// The state carried from the last batch for this rank's streams (nil after a wrap or at the start).
    public var carried: RecurrentState?
    /// The ranks training together (`SingleProcess` unless data-parallel).
    public let group: any ProcessGroup

    /// A task training `model` on `training` (the whole batch of B = `options.batch` streams),
    /// scored on `validation`; on `group`'s ranks, each with its share of the streams. B must be a
    /// multiple of the ranks.
    public init(
        model: CharLanguageModel, options: Options, training: StreamBatches, validation: StreamBatches?,
        group: any ProcessGroup = SingleProcess()
    ) {
        precondition(
            training.batch == options.batch && options.batch % group.size == 0,
            "CharTrainer: \(training.batch) streams for a batch of \(options.batch) on \(group.size) ranks")
        self.model = model
        self.options = options
        self.group = group
        batches = training.streams(group.share(of: training.batch))
        self.validation = validation.map { $0.streams(group.share(of: $0.batch)) }
        // The other ranks draw their dropout masks from streams of their own.
        model.random.generator = model.random.generator.stream(forRank: group.rank)
    }

    public var trainedModel: any Module { model }
    public var modelMetadata: [String: String] { model.metadata }
    public var stepsPerEpoch: Int? { batches.batchesPerEpoch }

    /// The next T characters of this rank's streams: the mean loss (nats/char) of their predictions.
    public func batch(step: Int) throws -> TrainingBatch {
        let next = batches.next()
        if next.wrapped { carried = nil }
        let (loss, state) = model.loss(
            inputs: next.inputs, targets: next.targets, steps: options.steps, batch: batches.batch, state: carried)
        carried = state.detached()
        return TrainingBatch(
            loss: loss, share: Float(batches.batch) / Float(options.batch), size: options.batch * options.steps)
    }

    /// The validation loss (`loss`, nats/char), when there is validation text.
    public func evaluate() -> [String: Double] { validationLoss().map { ["loss": Double($0)] } ?? [:] }

    /// Mean cross-entropy (nats/char) over every prediction of the validation streams, from a
    /// zero state carried across chunks; nil without validation data. On several ranks each scores
    /// its share of the streams and the sums are added (collective).
    public func validationLoss() -> Float? {
        guard let validation else { return nil }
        var (total, count) = validation.batch > 0 ? model.lossSum(over: validation) : (0, 0)
        if group.size > 1 {
            let sums = group.sum([total, Double(count)])
            (total, count) = (sums[0], Int(sums[1]))
        }
        return Float(total / Double(max(count, 1)))
    }
}

extension CharLanguageModel {
    /// Mean next-character cross-entropy over every prediction of `streams`, chunk by chunk from
    /// a zero state carried across chunks, without recording (inference mode).
    public func meanLoss(over streams: StreamBatches) -> Float {
        let (total, count) = lossSum(over: streams)
        return Float(total / Double(max(count, 1)))
    }

    /// The summed next-character cross-entropy over every prediction of `streams` (as
    /// `meanLoss(over:)` scores them) and the number of predictions.
    public func lossSum(over streams: StreamBatches) -> (total: Double, count: Int) {
        var count = 0
        let total = lossSum(of: streams.evaluationChunks(), batch: streams.batch) { chunk in
            count += chunk.targets.count
            return (chunk.inputs, chunk.targets, chunk.steps, nil)
        }
        return (total, count)
    }
}

/// The mean next-character loss of a text of any length, fed a piece at a time from a zero
/// state carried across `chunk`-character windows: the same windows, losses and sum as
/// `meanLoss(over:)` of one stream, in memory that does not grow with the text.
public struct StreamingLoss {
    let model: CharLanguageModel
    let chunk: Int
    private var pending: [Int] = []
    private var state: RecurrentState?
    private var total: Double = 0
    /// Predictions scored so far.
    public private(set) var count = 0

    /// A loss of `model` over windows of `chunk` characters.
    public init(model: CharLanguageModel, chunk: Int) { (self.model, self.chunk) = (model, chunk) }

    /// Takes the next `ids` of the text; scores every whole window they complete.
    public mutating func feed(_ ids: [Int]) {
        pending += ids
        var start = 0
        while pending.count - start >= chunk + 1 {
            score(Array(pending[start..<(start + chunk + 1)]))
            start += chunk
        }
        pending.removeFirst(start)
    }

    /// Scores what is left and returns the mean loss in nats (NaN before two characters).
    public mutating func finish() -> Float {
        if pending.count >= 2 { score(pending) }
        pending = []
        return count > 0 ? Float(total / Double(count)) : .nan
    }

    /// Predictions of window[1...] from window[..<last].
    private mutating func score(_ window: [Int]) {
        let steps = window.count - 1
        let (loss, next) = model.inferenceMode {
            model.chunkLoss(
                inputs: Array(window.dropLast()), targets: Array(window.dropFirst()), steps: steps, batch: 1,
                state: state)
        }
        total += loss
        count += steps
        state = next
    }
}
