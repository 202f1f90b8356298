import Datasets
import Feedforward
import SeqTensor
import Training

/// The curve generator's training task: every step the whole set of curves, teacher forced (with
/// the generator's input noise). A `TrainingSession` runs it; `defaultOptions` are
/// `seqtool generate train`'s.
public final class GeneratorTask: TrainingTask {
    /// `generate train`'s defaults: Adam at 1e-2 annealed to 0 by a cosine over 1500 steps, clip 1.
    public static func defaultOptions(steps: Int = 1500) -> TrainingOptions {
        TrainingOptions(
            schedule: LearningRateSchedule(base: 1e-2, decay: .cosine(totalSteps: steps, minimum: 0)), clip: 1,
            steps: steps)
    }

    /// The model being trained.
    public let model: SequenceGenerator
    /// The curves (N, T) and their classes (N).
    public let curves: LabeledRows

    /// A task training `model` on `curves` (classes below `model.classCount`).
    public init(model: SequenceGenerator, curves: LabeledRows) {
        precondition(curves.classCount <= model.classCount, "GeneratorTask: a class the model does not have")
        (self.model, self.curves) = (model, curves)
    }

    public var trainedModel: any Module { model }
    public var modelMetadata: [String: String] {
        model.metadata.merging(["length": String(curves.featureCount)]) { $1 }
    }
    public var stateFormat: String { "seqtool.generator-state.v1" }
    public var stepsPerEpoch: Int? { 1 }

    /// The mean squared error of the teacher-forced one-step predictions of every curve.
    public func batch(step: Int) throws -> TrainingBatch {
        TrainingBatch(loss: model.loss(curves: curves.features, classes: curves.labels), size: curves.count)
    }

    public func saveState(into checkpoint: inout TrainingCheckpoint) {
        checkpoint.saveGenerators(model.random.generator, group: SingleProcess())
    }

    public func restoreState(from checkpoint: TrainingCheckpoint) throws {
        model.random.generator = try checkpoint.generator(for: SingleProcess())
    }
}

extension SequenceGenerator {
    /// Each class's free-running curve against its first curve in `curves` (as long as it): the
    /// mean squared error per class (NaN for a class without a curve), and those reference curves
    /// (classes, T), zero for a class without one.
    public func freeRunningErrors(on curves: LabeledRows) -> (errors: [Double], reference: Tensor) {
        let T = curves.featureCount
        var errors: [Double] = []
        var reference = Tensor(zeros: [classCount, T])
        for k in 0..<classCount {
            guard let r = curves.labels.firstIndex(of: k) else {
                errors.append(.nan)
                continue
            }
            let truth = curves.features[r].scalars
            (reference.mutablePointer + k * T).update(from: truth, count: T)
            let drawn = generate(classIndex: k, length: T)
            errors.append(zip(drawn, truth).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(T))
        }
        return (errors, reference)
    }
}
