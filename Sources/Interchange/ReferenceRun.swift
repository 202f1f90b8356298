import Classification
import Datasets
import Feedforward
import Forecasting
import Foundation
import LanguageModel
import Recurrent
import SeqTensor

/// Inputs of an exported graph and the outputs seqtool computes from them, written as JSON so that
/// another runtime (ONNX Runtime in `scripts/check-onnx.py`) can run the graph on the same
/// inputs and compare.
///
///     {"graph": "step", "inputs": {"tokens": {"dtype": "int64", "shape": [4], "data": [...]}, ...},
///      "outputs": {"logits": {"dtype": "float32", "shape": [4, 65], "data": [...]}, ...}}
///
/// Floats are written as the decimal of their exact double value, so they read back bit for bit.
public struct ReferenceRun: Sendable {
    /// One named tensor.
    public struct Value: Sendable {
        /// Its name in the graph.
        public var name: String
        /// Its shape.
        public var shape: [Int]
        /// Its values if float (row-major).
        public var floats: [Float]?
        /// Its values if int64 (row-major).
        public var integers: [Int64]?

        /// A float tensor.
        public init(_ name: String, shape: [Int], floats: [Float]) {
            precondition(floats.count == shape.reduce(1, *), "ReferenceRun.Value \(name)")
            (self.name, self.shape, self.floats, integers) = (name, shape, floats, nil)
        }

        /// An int64 tensor.
        public init(_ name: String, shape: [Int], integers: [Int64]) {
            precondition(integers.count == shape.reduce(1, *), "ReferenceRun.Value \(name)")
            (self.name, self.shape, floats, self.integers) = (name, shape, nil, integers)
        }

        var json: String {
            let data =
                floats.map { $0.map { "\(Double($0))" } } ?? integers!.map { String($0) }
            return "\"\(name)\": {\"dtype\": \"\(floats == nil ? "int64" : "float32")\", \"shape\": "
                + "[\(shape.map(String.init).joined(separator: ", "))], \"data\": [\(data.joined(separator: ", "))]}"
        }
    }

    /// Which graph of the model this is for (`step`, `sequence`, `classifier`).
    public var graph: String
    /// The graph's inputs.
    public var inputs: [Value]
    /// seqtool's outputs for them.
    public var outputs: [Value]

    /// The JSON text (one object).
    public var json: String {
        "{\"graph\": \"\(graph)\",\n\"inputs\": {" + inputs.map(\.json).joined(separator: ",\n")
            + "},\n\"outputs\": {" + outputs.map(\.json).joined(separator: ",\n") + "}}\n"
    }
}

extension CharLanguageModel {
    /// seqtool's outputs of `graph` for token ids `tokens` (one per sequence for `.step`;
    /// time-major, `tokens.count / batch` steps, for `.sequence`) from a random state drawn from
    /// `generator` (uniform in [-1, 1]; both graphs take the state as an input).
    public func referenceRun(
        _ graph: CharModelGraph, tokens: [Int], batch: Int, generator: inout SeededGenerator
    ) -> ReferenceRun {
        let (L, H, V) = (configuration.layers, configuration.hidden, configuration.vocabularySize)
        let steps = tokens.count / batch
        precondition(steps * batch == tokens.count && (graph == .sequence || steps == 1), "referenceRun: tokens")
        let parts = rnn.stateNames.map { _ in Tensor(uniform: [L, batch, H], low: -1, high: 1, generator: &generator) }
        let (logits, state) = inferenceMode {
            self(tokens, steps: steps, batch: batch, state: RecurrentState(parts: parts.map { Variable($0) }))
        }
        let ids = tokens.map(Int64.init)
        var inputs = [ReferenceRun.Value("tokens", shape: graph == .step ? [batch] : [steps, batch], integers: ids)]
        var outputs = [
            ReferenceRun.Value(
                "logits", shape: graph == .step ? [batch, V] : [steps, batch, V], floats: logits.value.scalars)
        ]
        for (p, name) in rnn.stateNames.enumerated() {
            inputs.append(ReferenceRun.Value(name, shape: [L, batch, H], floats: parts[p].scalars))
            outputs.append(
                ReferenceRun.Value(name + "_out", shape: [L, batch, H], floats: state.parts[p].value.scalars))
        }
        return ReferenceRun(graph: graph.rawValue, inputs: inputs, outputs: outputs)
    }
}

extension Classifier {
    /// seqtool's logits for the series of `data` as the exported graph takes them: `x` (B, T, C)
    /// with the steps past a series' end set to `padding` (which the graph must ignore), and
    /// `lengths` when `withLengths`.
    public func referenceRun(_ data: LabeledSeries, lengths withLengths: Bool, padding: Float = 1000) -> ReferenceRun {
        let (B, C) = (data.count, channels)
        let T = data.lengths.max() ?? 0
        var x = [Float](repeating: padding, count: B * T * C)
        for (b, series) in data.values.enumerated() {
            for i in series.indices { x[b * T * C + i] = series[i] }
        }
        let logits = inferenceMode { self.logits(data, Array(0..<B)).value }
        var inputs = [ReferenceRun.Value("x", shape: [B, T, C], floats: x)]
        if withLengths && length == nil {
            inputs.append(ReferenceRun.Value("lengths", shape: [B], integers: data.lengths.map(Int64.init)))
        }
        return ReferenceRun(
            graph: "classifier", inputs: inputs,
            outputs: [ReferenceRun.Value("logits", shape: [B, classNames.count], floats: logits.scalars)])
    }
}

extension GlobalForecaster {
    /// seqtool's forecasts of `histories` (each 1...`window` values) whose first values sit at
    /// `phases` in the season, as the exported graph takes them: `history` (B, T) with the values
    /// past a series' end set to `padding` (which the graph must ignore), `lengths`, and `phase`
    /// with a season.
    public func referenceRun(histories: [[Float]], phases: [Int], padding: Float = 1000) -> ReferenceRun {
        let c = configuration, B = histories.count, T = histories.map(\.count).max() ?? 0
        precondition(histories.allSatisfy { !$0.isEmpty && $0.count <= c.window }, "referenceRun: histories")
        var history = [Float](repeating: padding, count: B * T)
        for (b, values) in histories.enumerated() {
            for (t, v) in values.enumerated() { history[b * T + t] = v }
        }
        var inputs = [
            ReferenceRun.Value("history", shape: [B, T], floats: history),
            ReferenceRun.Value("lengths", shape: [B], integers: histories.map { Int64($0.count) }),
        ]
        if c.season > 1 {
            inputs.append(ReferenceRun.Value("phase", shape: [B], integers: phases.map { Int64($0 % c.season) }))
        }
        let forecasts = forecast(histories, phases: phases)
        return ReferenceRun(
            graph: "forecaster", inputs: inputs,
            outputs: [
                ReferenceRun.Value(
                    "forecast", shape: [B, c.quantiles.count, c.horizon],
                    floats: forecasts.flatMap { $0.values.flatMap { $0 } })
            ])
    }
}
