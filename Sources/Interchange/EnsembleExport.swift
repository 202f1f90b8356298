import Classification
import Datasets
import Feedforward
import Foundation
import SeqTensor

extension ClassifierEnsemble {
    /// The ensemble as one ONNX graph: every member's graph over the same `x` (and `lengths`),
    /// their softmax probabilities averaged as `predict` averages them, and `logits` = log of that
    /// mean, so that softmax(logits) is the ensemble's probabilities and argmax its class. Member
    /// k's weights are named `members.k.*`.
    /// - Parameter withLengths: as `Classifier.onnxModel(lengths:)`.
    /// - Throws: `ExportError` when a member cannot be exported.
    public func onnxModel(lengths withLengths: Bool = true) throws(ExportError) -> ONNX.Model {
        let b = GraphBuilder(
            name: "seqtool_classifier_ensemble",
            docString: "An ensemble of \(members.count) classifiers (\(modelName)) of series of \(channels) "
                + "channel(s) into \(classNames.count) classes: logits = log(mean of the members' probabilities).")
        let length = members.lazy.compactMap(\.length).first
        let (x, lengths) = seriesInputs(b, channels: channels, length: length, withLengths: withLengths)
        var probabilities: [String] = []
        for (k, member) in members.enumerated() {
            b.namePrefix = "members.\(k)."
            let logits = try member.emitLogits(b, x: x, lengths: lengths, output: nil)
            probabilities.append(b.op("Softmax", [logits], [ONNX.Attribute("axis", .int(1))], doc: "member \(k)"))
        }
        b.namePrefix = ""
        let sum = probabilities.count == 1 ? probabilities[0] : b.op("Sum", probabilities)
        let mean = b.op("Mul", [sum, b.weight("inverse_members", [1 / Float(members.count)], [])])
        b.node("Log", [mean], doc: "log of the mean probability: softmax of it is the mean", outputs: ["logits"])
        return classifierModel(b, classCount: classNames.count, metadata: metadata, name: "ensemble of \(modelName)")
    }

    /// seqtool's log mean probabilities for the series of `data`, as `Classifier.referenceRun`
    /// lays out the inputs.
    public func referenceRun(_ data: LabeledSeries, lengths withLengths: Bool, padding: Float = 1000) -> ReferenceRun {
        var run = members[0].referenceRun(data, lengths: withLengths, padding: padding)
        if members.contains(where: { $0.length != nil }) { run.inputs.removeAll { $0.name == "lengths" } }
        let mean = probabilities(data, batch: max(data.count, 1))
        run.outputs = [
            ReferenceRun.Value(
                "logits", shape: [data.count, classNames.count], floats: mean.flatMap { $0.map { Foundation.log($0) } })
        ]
        return run
    }
}
