import Datasets
import Foundation
import SeqTensor

/// What classifies series into named classes and is saved as one file: a `Classifier`, or a
/// `ClassifierEnsemble` of them. `predict` and `info` read either (`loadSeriesClassifier(path:)`).
public protocol SeriesClassifier: AnyObject {
    /// The classes, in output order.
    var classNames: [String] { get }
    /// Values per step (C).
    var channels: Int { get }
    /// The model's name in reports: the architecture (`fcn`), or an ensemble's members (`5 x fcn`).
    var modelName: String { get }
    /// Class probabilities (N, K) of every series of `data`, in inference mode, `batch` at a time.
    func probabilities(_ data: LabeledSeries, batch: Int) -> [[Float]]
    /// Why `data` cannot be classified by this model, or nil when it can; `source` names the data.
    func problem(with data: LabeledSeries, source: String) -> String?
    /// Writes the model (atomically) with `extra` metadata beside its own.
    func save(to path: String, extra: [String: String]) throws
}

extension SeriesClassifier {
    /// Classes (K).
    public var classCount: Int { classNames.count }

    /// Class probabilities (N, K) of every series of `data`, 64 series at a time.
    public func probabilities(_ data: LabeledSeries) -> [[Float]] { probabilities(data, batch: 64) }

    /// The class index of each label (labels the model does not know are left out: check first
    /// with `unknownLabels`).
    public func classIndices(_ labels: [String]) -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        return labels.compactMap { index[$0] }
    }

    /// The labels of `data` that are not among the model's classes, in order of appearance.
    public func unknownLabels(_ data: LabeledSeries) -> [String] { data.labels(outside: classNames) }

    /// The predicted class index of every series, in inference mode.
    public func predict(_ data: LabeledSeries) -> [Int] { probabilities(data).map(argmax) }

    /// The accuracy and the mean cross-entropy (nats) on `data`'s labelled series, in inference mode.
    public func evaluate(on data: LabeledSeries) -> (accuracy: Double, loss: Double) {
        let truth = classIndices(data.labels ?? [])
        guard truth.count == data.count, !truth.isEmpty else { return (0, .nan) }
        var right = 0, loss = 0.0
        for (i, p) in probabilities(data).enumerated() {
            if argmax(p) == truth[i] { right += 1 }
            loss -= Double(Foundation.log(max(p[truth[i]], Float.leastNormalMagnitude)))
        }
        return (Double(right) / Double(truth.count), loss / Double(truth.count))
    }
}

/// The index of the largest of `values` (the first on ties).
func argmax(_ values: [Float]) -> Int {
    values.withUnsafeBufferPointer { Kernels.argmax($0.baseAddress!, count: values.count) }
}

extension Classifier: SeriesClassifier {
    public var modelName: String { architecture.name }
}

/// The classifier a model file holds: a `Classifier` (this format or an older one) or a
/// `ClassifierEnsemble`. Errors name the file and the problem.
public func loadSeriesClassifier(path: String) throws -> any SeriesClassifier {
    try loadSeriesClassifier(SafeTensors.read(path: path), path: path)
}

/// The classifier in `file`, read from `path` (named in errors).
public func loadSeriesClassifier(_ file: SafeTensors.File, path: String) throws -> any SeriesClassifier {
    ClassifierEnsemble.isEnsemble(file.metadata)
        ? try ClassifierEnsemble.load(file, path: path) : try Classifier.load(file, path: path)
}
