import Datasets
import Foundation
import Recurrent
import SeqTensor

/// Training of a character model with truncated BPTT over parallel streams, as char-rnn does:
/// each step takes the next T characters of every stream, carries the final state (detached)
/// into the next step, clips the gradient norm and applies the optimizer.
///
/// Data-parallel over a `ProcessGroup` of N ranks, each rank takes B/N of the B streams and the
/// gradients are averaged before clipping, so the same options train the same model on 1 rank
/// and on N (up to the order of float sums). The validation streams are shared out too, and their
/// loss summed. With dropout each rank draws its own masks (rank 0 the masks one process would).
public final class CharTrainer {
    /// How to train: char-rnn's batch and length, the optimizer, its schedule and clipping.
    public struct Options: Sendable {
        /// Parallel streams (B, char-rnn's `-batch_size`) and BPTT steps (T, `-seq_length`).
        public var batch = 32, steps = 64
        /// The optimizer, with its PyTorch defaults.
        public var optimizer: OptimizerKind = .adam
        /// The learning rate by step.
        public var schedule = LearningRateSchedule(base: 2e-3)
        /// Clip the global gradient norm to this (0: no clipping).
        public var clip: Float = 5
        /// On several ranks, check every this many steps that the parameters are still identical
        /// on every rank (a hash of them, one small allreduce).
        public var consistencyCheckEvery = 200
        /// The defaults: batch 32, 64 steps, Adam at 2e-3, clip 5.
        public init() {}
    }

    /// The model being trained.
    public let model: CharLanguageModel
    /// How it is trained.
    public let options: Options
    /// The optimizer over the model's parameters.
    public let optimizer: Optimizer
    /// This rank's training streams (all B of them in one process) and the position in them.
    public var batches: StreamBatches
    /// This rank's validation streams, if there is validation text.
    public let validation: StreamBatches?
    /// The state carried from the last batch for this rank's streams (nil after a wrap or at the start).
    public var carried: RecurrentState?
    /// Steps taken so far.
    public var step = 0
    /// The ranks training together (`SingleProcess` unless data-parallel).
    public let group: any ProcessGroup
    /// The gradients' averaging over `group` (and the time its allreduces took).
    public let averaging: GradientAverager

    /// A trainer of `model` on `training` (the whole batch of B = `options.batch` streams), scored
    /// on `validation`; on `group`'s ranks, each with its share of the streams. B must be a
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
        averaging = GradientAverager(group: group)
        optimizer = options.optimizer.make(model.parameters, learningRate: options.schedule.base)
        batches = training.streams(group.share(of: training.batch))
        self.validation = validation.map { $0.streams(group.share(of: $0.batch)) }
        // The other ranks draw their dropout masks from streams of their own.
        model.random.generator = model.random.generator.stream(forRank: group.rank)
    }

    /// One training step; returns the batch's mean loss (nats/char) and the pre-clip gradient norm.
    @discardableResult
    public func trainStep() throws -> (loss: Float, gradientNorm: Float) {
        model.isTraining = true
        if group.size > 1 && step % options.consistencyCheckEvery == 0 {
            try group.checkIdentical(model.parameters, step: step)
        }
        let batch = batches.next()
        if batch.wrapped { carried = nil }
        optimizer.learningRate = options.schedule.rate(at: step)
        let (loss, state) = model.loss(
            inputs: batch.inputs, targets: batch.targets, steps: options.steps,
            batch: batches.batch, state: carried)
        let result = try optimizer.minimize(
            loss, clip: options.clip, step: step + 1, averaging: averaging,
            share: Float(batches.batch) / Float(options.batch))
        carried = state.detached()
        step += 1
        return result
    }

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
        inferenceMode {
            var state: RecurrentState? = nil
            var total: Double = 0, count = 0
            for chunk in streams.evaluationChunks() {
                let (logits, next) = self(chunk.inputs, steps: chunk.steps, batch: streams.batch, state: state)
                total += Double(crossEntropy(logits: logits, targets: chunk.targets, reduction: .sum).value.item)
                count += chunk.targets.count
                state = next
            }
            return (total, count)
        }
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
            let (logits, next) = model(Array(window.dropLast()), steps: steps, batch: 1, state: state)
            return (crossEntropy(logits: logits, targets: Array(window.dropFirst()), reduction: .sum).value.item, next)
        }
        total += Double(loss)
        count += steps
        state = next
    }
}
