import Datasets
import Foundation
import SeqTensor
import Training

/// A classifier's training as `seqtool classify` runs it, with the same defaults: a validation
/// split of the training series (when asked), the run sized from the data, the classifier built
/// and standardised on the series it trains on, selection and early stopping, in a
/// `TrainingSession`.
///
///     let plan = try ClassifierTraining.Plan(data: training, validationSplit: 0, seed: 1)
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

        /// Holds out a seeded `validationSplit` of `data` (at least one series when not 0) to
        /// choose the best epoch on; the rest trains, `batch` series a step.
        public init(data: LabeledSeries, validationSplit: Double = 0, batch: Int = 32, seed: UInt64 = 1) throws {
            precondition(validationSplit >= 0 && validationSplit < 1 && batch > 0, "Plan: split or batch out of range")
            guard let labels = data.labels else {
                throw DataError(file: "the training series", problem: "have no class labels")
            }
            // Without a split the series train in the file's order.
            var g = SeededGenerator(seed: seed &+ 1)
            let order = validationSplit > 0 ? g.permutation(data.count) : Array(0..<data.count)
            let held = validationSplit > 0 ? max(1, Int((Double(data.count) * validationSplit).rounded())) : 0
            guard data.count - held >= 1 else {
                throw DataError(
                    file: "the training series",
                    problem: "a validation split of \(validationSplit) of \(data.count) series leaves none to train on")
            }
            self.data = data
            training = data.subset(Array(order[held...]))
            validation = held > 0 ? data.subset(Array(order[..<held])) : nil
            classNames = LabeledSeries.classNames(labels)
            (self.batch, self.seed, longest) = (batch, seed, data.lengths.max() ?? 1)
        }

        /// Steps in one pass over the training series.
        public var stepsPerEpoch: Int { (training.count + batch - 1) / batch }

        /// The default budget: about 1500 steps, but 100 to 300 epochs.
        public var defaultSteps: Int {
            min(300, max(100, (1500 + stepsPerEpoch - 1) / stepsPerEpoch)) * stepsPerEpoch
        }

        /// Recurrent layers read about 50 steps of the longest series: every this-many-th step.
        public var defaultSubsample: Int { max(1, longest / 50) }
    }

    /// `classify`'s training defaults for a run of `steps` steps: Adam at 3e-3 annealed to 0 by
    /// a cosine over the run, clip 1, an evaluation every epoch of `epochSteps` steps.
    public static func defaultOptions(steps: Int, epochSteps: Int) -> TrainingOptions {
        var options = TrainingOptions(
            schedule: LearningRateSchedule(base: 3e-3, decay: .cosine(totalSteps: steps, minimum: 0)), clip: 1,
            steps: steps)
        options.evaluateEvery = epochSteps
        return options
    }

    /// `classify`'s selection: with validation series, the weights of the epoch of the best
    /// validation accuracy (the lowest validation loss among equals) are kept; without, the last
    /// ones, and the training loss is watched. Either stops after `patience` epochs without a better
    /// score (0: never).
    public static func selection(validating: Bool, patience: Int) -> Selection {
        validating
            ? Selection(scores: [.validationAccuracy, .validationLoss], patience: patience)
            : Selection(scores: [.trainLoss], patience: patience, keepsBest: false)
    }

    /// The default early stop: 50 epochs without a better one.
    public static let defaultPatience = 50

    /// The series.
    public let plan: Plan
    /// The model, its task and the session that trains it.
    public let classifier: Classifier
    public let task: ClassifierTask
    public let session: TrainingSession

    /// A fresh `architecture` classifier for `plan`'s series (standardised on its training series
    /// unless `standardises` is false; recurrent layers read every `subsample`-th step, by default
    /// `plan.defaultSubsample`), trained with `options` (by default `defaultOptions` for the
    /// plan's default budget) and `selection` (by default `selection(validating:patience: 50)`), on
    /// the ranks of `group`.
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
        var options = options ?? Self.defaultOptions(steps: plan.defaultSteps, epochSteps: plan.stepsPerEpoch)
        options.selection =
            selection ?? Self.selection(validating: plan.validation != nil, patience: Self.defaultPatience)
        session = TrainingSession(task: task, options: options, group: group)
    }
}
