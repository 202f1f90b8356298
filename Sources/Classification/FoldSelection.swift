import Datasets
import SeqTensor
import Training

/// The number of epochs to train for, chosen by k-fold cross-validation on the training series:
/// k runs each hold out one fold (stratified by class) and score it after every epoch; the epoch
/// with the best mean held-out accuracy (the lowest mean held-out loss among equals) is chosen,
/// and the final model trains that many epochs on every series. It costs k + 1 runs, and spends
/// every series both on training and on choosing, where a validation split spends some on
/// choosing only.
///
///     let plan = try ClassifierTraining.Plan(data: training, seed: 1)
///     let choice = try FoldSelection.select(folds: 5, plan: plan, architecture: .fcn) { try $0.session.run() }
///     let options = ClassifierTraining.defaultOptions(
///         steps: choice.epochs * plan.stepsPerEpoch, epochSteps: plan.stepsPerEpoch)
///     let run = ClassifierTraining(plan: plan, architecture: .fcn, options: options, selection: FoldSelection.last)
public struct FoldSelection: Sendable {
    /// The folds (k).
    public let folds: Int
    /// The epochs chosen.
    public let epochs: Int
    /// The mean held-out accuracy and loss after each epoch (index 0: after the first).
    public let accuracy: [Double], loss: [Double]

    /// The mean held-out accuracy at the chosen epoch.
    public var chosenAccuracy: Double { accuracy[epochs - 1] }

    /// The selection of the final run, which has no held-out series: its last weights are kept.
    public static let last = Selection(scores: [.trainLoss], patience: 0, keepsBest: false)

    /// Chooses the epochs of `architecture` on `plan.data` by `folds`-fold cross-validation.
    /// Each fold's run is a `ClassifierTraining` of `options(plan)` (by default
    /// `ClassifierTraining.defaultOptions` for the plan's default budget) on the other folds, run
    /// to its end by `train` (which may show progress, and is told the fold, 0-based).
    /// Throws when a fold would hold no series or train on none.
    public static func select(
        folds: Int, plan: ClassifierTraining.Plan, architecture: Architecture,
        options: ((ClassifierTraining.Plan) -> TrainingOptions)? = nil, subsample: Int? = nil,
        standardises: Bool = true, train: (ClassifierTraining, Int) throws -> Void
    ) throws -> FoldSelection {
        let data = plan.data
        guard folds >= 2, folds <= data.count else {
            throw DataError(
                file: plan.source, problem: "\(data.count) series cannot be split into \(folds) folds")
        }
        var sums: [(accuracy: Double, loss: Double, runs: Int)] = []
        for (f, held) in Self.folds(folds, labels: data.labels ?? [], seed: plan.seed).enumerated() {
            let heldSet = Set(held)
            let rest = (0..<data.count).filter { !heldSet.contains($0) }
            let foldPlan = ClassifierTraining.Plan(
                data: data, training: data.subset(rest), validation: data.subset(held), classNames: plan.classNames,
                batch: plan.batch, seed: plan.seed, source: plan.source)
            let run = ClassifierTraining(
                plan: foldPlan, architecture: architecture,
                options: options?(foldPlan)
                    ?? ClassifierTraining.defaultOptions(
                        steps: foldPlan.defaultSteps(for: architecture, subsample: subsample),
                        epochSteps: foldPlan.stepsPerEpoch),
                selection: Selection(scores: [.validationAccuracy, .validationLoss], patience: 0, keepsBest: false),
                subsample: subsample, standardises: standardises)
            let recorded = run.session.onEvent
            run.session.onEvent = { event in
                recorded(event)
                guard case .evaluation(let e) = event, let epoch = e.epochs, epoch == epoch.rounded(),
                    let accuracy = e.scores[Score.validationAccuracy.key], let loss = e.scores[Score.validationLoss.key]
                else { return }
                let k = Int(epoch) - 1
                while sums.count <= k { sums.append((0, 0, 0)) }
                sums[k] = (sums[k].accuracy + accuracy, sums[k].loss + loss, sums[k].runs + 1)
            }
            try train(run, f)
        }
        // Only the epochs every fold reached (an interrupted or early-stopped fold ends sooner).
        let complete = sums.prefix { $0.runs == folds }
        guard !complete.isEmpty else {
            throw DataError(file: plan.source, problem: "no fold completed an epoch")
        }
        let accuracy = complete.map { $0.accuracy / Double(folds) }, loss = complete.map { $0.loss / Double(folds) }
        var best = 0
        for e in accuracy.indices
        where accuracy[e] > accuracy[best] || (accuracy[e] == accuracy[best] && loss[e] < loss[best]) {
            best = e
        }
        return FoldSelection(folds: folds, epochs: best + 1, accuracy: accuracy, loss: loss)
    }

    /// `folds` disjoint folds of the series with `labels`, each class dealt round-robin over them
    /// in a seeded order, so that every fold has about its share of every class.
    public static func folds(_ folds: Int, labels: [String], seed: UInt64) -> [[Int]] {
        var g = SeededGenerator(seed: seed &+ 2)
        var out = Array(repeating: [Int](), count: folds)
        var next = 0
        for name in LabeledSeries.classNames(labels) {
            let members = labels.indices.filter { labels[$0] == name }
            for i in g.permutation(members.count) {
                out[next % folds].append(members[i])
                next += 1
            }
        }
        return out.map { $0.sorted() }
    }
}

extension ClassifierTraining.Plan {
    /// A plan of series already split: `training` trains, `validation` (nil: none) selects.
    init(
        data: LabeledSeries, training: LabeledSeries, validation: LabeledSeries?, classNames: [String], batch: Int,
        seed: UInt64, source: String
    ) {
        self.data = data
        self.source = source
        self.training = training
        self.validation = validation
        self.classNames = classNames
        self.batch = batch
        self.seed = seed
        longest = data.lengths.max() ?? 1
    }
}
