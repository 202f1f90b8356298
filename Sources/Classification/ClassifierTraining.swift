import Datasets
import Foundation
import SeqTensor
import Training

/// A classifier's training as `seqtool classify` runs it, with the same defaults: every training
/// series trains (a validation split only when asked or when the file is large), the run sized
/// from the data, the classifier built and standardised on the series it trains on, the learning
/// rate lowered on plateaus of the training loss and the best epoch kept, in a `TrainingSession`.
///
/// The defaults follow the published FCN and ResNet runs (Fawaz et al. 2019: Adam at 1e-3,
/// batch 16, ~1500 epochs on every training series, ReduceLROnPlateau on the training loss,
/// factor 0.5, patience 50, minimum 1e-4; the epoch of the lowest training loss kept), with the
/// budget capped by compute so that long series and large files still train in minutes.
///
///     let plan = try ClassifierTraining.Plan(data: training, seed: 1)
///     let run = ClassifierTraining(plan: plan, architecture: .fcn)
///     try run.session.run()
///     let accuracy = run.classifier.evaluate(on: test).accuracy
public final class ClassifierTraining {
    /// The series to train and select on, split from a training file, and the run's size.
    public struct Plan {
        /// Every series of the training file.
        public let data: LabeledSeries
        /// The series trained on, and the ones the best epoch is chosen on (nil: none).
        public let training: LabeledSeries, validation: LabeledSeries?
        /// The classes of the training file, in class order.
        public let classNames: [String]
        /// Series per step.
        public let batch: Int
        /// The seed of the weights, the order and the split.
        public let seed: UInt64
        /// Steps of the longest series of the training file.
        public let longest: Int
        /// What errors call the data (its file, say).
        public let source: String

        /// Holds out a seeded `validationSplit` of `data` (at least one series when not 0; nil:
        /// `defaultValidationSplit(seriesCount:)`) to choose the best epoch on; the rest trains,
        /// `batch` series a step. Errors name the data as `source` (its file, say).
        public init(
            data: LabeledSeries, validationSplit: Double? = nil, batch: Int = Plan.defaultBatch, seed: UInt64 = 1,
            source: String = "the training series"
        ) throws {
            let validationSplit = validationSplit ?? Self.defaultValidationSplit(seriesCount: data.count)
            precondition(validationSplit >= 0 && validationSplit < 1 && batch > 0, "Plan: split or batch out of range")
            guard let labels = data.labels else {
                throw DataError(file: source, problem: "has no class labels")
            }
            // Without a split the series train in the file's order.
            var g = SeededGenerator(seed: seed &+ 1)
            let order = validationSplit > 0 ? g.permutation(data.count) : Array(0..<data.count)
            let held = validationSplit > 0 ? max(1, Int((Double(data.count) * validationSplit).rounded())) : 0
            guard data.count - held >= 1 else {
                throw DataError(
                    file: source,
                    problem: "a validation split of \(validationSplit) of \(data.count) series leaves none to train on")
            }
            self.data = data
            training = data.subset(Array(order[held...]))
            validation = held > 0 ? data.subset(Array(order[..<held])) : nil
            classNames = LabeledSeries.classNames(labels)
            (self.batch, self.seed, longest, self.source) = (batch, seed, data.lengths.max() ?? 1, source)
        }

        /// Steps in one pass over the training series.
        public var stepsPerEpoch: Int { (training.count + batch - 1) / batch }

        /// Series per step by default, as the published FCN and ResNet runs.
        public static let defaultBatch = 16

        /// From this many training series on, a tenth is held out by default (`defaultValidationSplit`).
        public static let largeFile = 1000

        /// The share held out to select the epoch on when none is asked for: none below
        /// `largeFile` series, a tenth from there on. A small file needs every series to train
        /// on, and a tenth of it is too few to rank epochs by (10 series score in steps of 10
        /// points, so the "best" epoch is mostly noise); from 1000 series a tenth is at least 100,
        /// where one series is one point, and losing it costs the training little.
        public static func defaultValidationSplit(seriesCount: Int) -> Double { seriesCount >= largeFile ? 0.1 : 0 }

        /// The most epochs of the default budget, as the published ResNet runs (FCN's ran 2000).
        public static let maximumEpochs = 1500
        /// The most steps of the default budget: a large file (many steps an epoch) trains fewer
        /// epochs, and a recurrent model, whose steps cost more time than their multiply-adds
        /// say, stays within minutes.
        public static let maximumSteps = 10_000
        /// The fewest epochs of the default budget, however costly an epoch.
        public static let minimumEpochs = 10
        /// The multiply-adds the default budget spends at most: forward and backward over the
        /// training series, counted as three forward passes (about two minutes on two cores).
        public static let computeBudget = 6e12

        /// The default budget of `architecture` (recurrent layers reading every `subsample`-th
        /// step; by default `defaultSubsample`), in steps: `maximumEpochs` epochs, or as many
        /// as fit `maximumSteps` and `computeBudget` when that is fewer (many series, long
        /// series), but never fewer than `minimumEpochs`. Small files train enough; large ones in
        /// minutes. The compute counts the padding of unequal lengths (`paddedMeanLength`).
        public func defaultSteps(for architecture: Architecture, subsample: Int? = nil) -> Int {
            defaultEpochs(for: architecture, subsample: subsample) * stepsPerEpoch
        }

        /// The epochs of `defaultSteps(for:subsample:)`.
        public func defaultEpochs(for architecture: Architecture, subsample: Int? = nil) -> Int {
            let epochs = min(Self.maximumEpochs, Self.maximumSteps / stepsPerEpoch)
            guard
                let forward = architecture.forwardMultiplyAdds(
                    channels: training.channels, steps: paddedMeanLength, subsample: subsample ?? defaultSubsample)
            else { return max(Self.minimumEpochs, epochs) }
            let perEpoch = 3 * forward * Double(training.count)
            let affordable = perEpoch > 0 ? Self.computeBudget / perEpoch : Double(epochs)
            return max(Self.minimumEpochs, min(epochs, Int(affordable)))
        }

        /// The steps a training series costs on average in a step of `batch` series drawn at random:
        /// a batch is padded to its longest series, so with unequal lengths this is the expected
        /// longest of each batch (weighted by the batch's size), not the mean length. For lengths
        /// sorted l_1 <= ... <= l_n, the longest of b series drawn without replacement is l_i with
        /// probability (C(i, b) - C(i-1, b)) / C(n, b). Equal lengths give the length itself.
        public var paddedMeanLength: Double {
            let lengths = training.lengths.sorted(), n = lengths.count
            guard let shortest = lengths.first, let longest = lengths.last else { return 1 }
            if shortest == longest { return Double(longest) }
            // P(the longest of b is among the first i) = C(i, b) / C(n, b) = prod_j (i - j) / (n - j).
            func expectedLongest(of b: Int) -> Double {
                var below = 0.0, expected = 0.0
                for i in b...n {
                    var atMost = 1.0
                    for j in 0..<b { atMost *= Double(i - j) / Double(n - j) }
                    expected += Double(lengths[i - 1]) * (atMost - below)
                    below = atMost
                }
                return expected
            }
            // An epoch deals the series into stepsPerEpoch batches whose sizes differ by at most one.
            let steps = stepsPerEpoch, small = n / steps, large = small + 1, largeCount = n % steps
            let total =
                Double(steps - largeCount) * Double(small) * expectedLongest(of: small)
                + (largeCount > 0 ? Double(largeCount) * Double(large) * expectedLongest(of: large) : 0)
            return total / Double(n)
        }

        /// Recurrent layers read about 50 steps of the longest series: every this-many-th step.
        public var defaultSubsample: Int { max(1, longest / 50) }
    }

    /// `classify`'s training defaults for a run of `steps` steps: Adam at 1e-3, clip 1, an
    /// evaluation every epoch of `epochSteps` steps, and the learning rate halved whenever the
    /// epoch's training loss has not improved for `plateauPatience(epochs:)` epochs, down to 1e-4.
    public static func defaultOptions(steps: Int, epochSteps: Int) -> TrainingOptions {
        var options = TrainingOptions(schedule: LearningRateSchedule(base: 1e-3), clip: 1, steps: steps)
        options.evaluateEvery = epochSteps
        options.plateau = PlateauReduction(
            score: .trainLoss, factor: 0.5, patience: plateauPatience(epochs: steps / max(epochSteps, 1)),
            minimum: 1e-4)
        return options
    }

    /// Epochs without a better training loss before the learning rate is halved, in a run of
    /// `epochs`: a thirtieth of the run, as the published runs' 50 of 1500, within 5...50.
    public static func plateauPatience(epochs: Int) -> Int { min(50, max(5, epochs / 30)) }

    /// `classify`'s selection: with validation series, the weights of the epoch of the best
    /// validation accuracy (the lowest validation loss among equals); without, those of the epoch
    /// of the lowest training loss (as the published FCN and ResNet runs). Either stops after
    /// `patience` epochs without a better score (0: never; the budget ends the run).
    public static func selection(validating: Bool, patience: Int) -> Selection {
        validating
            ? Selection(scores: [.validationAccuracy, .validationLoss], patience: patience)
            : Selection(scores: [.trainLoss], patience: patience)
    }

    /// The default early stop: none, the budget ends the run.
    public static let defaultPatience = 0

    /// The series.
    public let plan: Plan
    /// The model, its task and the session that trains it.
    public let classifier: Classifier
    public let task: ClassifierTask
    public let session: TrainingSession

    /// A fresh `architecture` classifier for `plan`'s series (standardised on its training series
    /// unless `standardises` is false; recurrent layers read every `subsample`-th step, by default
    /// `plan.defaultSubsample`), trained with `options` (by default `defaultOptions` for the
    /// plan's default budget) and `selection` (by default `selection(validating:patience:)` with
    /// `defaultPatience`), on the ranks of `group`.
    public init(
        plan: Plan, architecture: Architecture, options: TrainingOptions? = nil, selection: Selection? = nil,
        subsample: Int? = nil, standardises: Bool = true, group: any ProcessGroup = SingleProcess()
    ) {
        precondition(
            !architecture.isFitted, "ClassifierTraining: \(architecture.name) is fitted in closed form (Classifier.fit)"
        )
        self.plan = plan
        let lengths = plan.training.lengths
        classifier = Classifier(
            architecture, channels: plan.training.channels, length: Set(lengths).count == 1 ? lengths[0] : nil,
            classNames: plan.classNames, subsample: subsample ?? plan.defaultSubsample,
            random: RandomSource(seed: plan.seed))
        if standardises { classifier.standardise(from: plan.training) }
        task = ClassifierTask(
            model: classifier, training: plan.training, validation: plan.validation, batch: plan.batch, group: group)
        var options =
            options
            ?? Self.defaultOptions(
                steps: plan.defaultSteps(for: architecture, subsample: subsample), epochSteps: plan.stepsPerEpoch)
        options.selection =
            selection ?? Self.selection(validating: plan.validation != nil, patience: Self.defaultPatience)
        session = TrainingSession(task: task, options: options, group: group)
    }
}
