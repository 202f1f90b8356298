import Classification
import Datasets
import Forecasting
import Framings
import LanguageModel
import Recurrent
import SeqTensor
import XCTest

@testable import Interchange

/// The graphs' interface (names, types, shapes), the weight layout ONNX's operators expect, and
/// the errors for what has no ONNX form. The numbers themselves are checked against ONNX Runtime
/// by scripts/check-onnx.sh (`ExportCommandTests`).
final class ExportTests: XCTestCase {
    func charModel(_ cell: CellKind, layers: Int = 2) -> CharLanguageModel {
        CharLanguageModel(
            .init(cell: cell, vocabularySize: 5, embedding: 3, hidden: 4, layers: layers),
            vocabulary: CharVocabulary(characters: ["a", "b", "c", " ", "\n"]), random: RandomSource(seed: 3))
    }

    func floats(_ t: ONNX.TensorValue) -> [Float] {
        stride(from: 0, to: t.raw.count, by: 4).map { i in
            Float(bitPattern: t.raw[i..<(i + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
    }

    func initializer(_ model: ONNX.Model, _ name: String) throws -> ONNX.TensorValue {
        try XCTUnwrap(model.graph.initializers.first { $0.name == name }, "no initializer \(name)")
    }

    func testStepGraphInterface() throws {
        let model = try charModel(.lstm).onnxModel(.step)
        let inputs = model.graph.inputs, outputs = model.graph.outputs
        XCTAssertEqual(inputs.map(\.name), ["tokens", "h", "c"])
        XCTAssertEqual(inputs[0].elementType, .int64)
        XCTAssertEqual(inputs[0].shape, [.symbolic("batch")])
        XCTAssertEqual(inputs[1].shape, [.fixed(2), .symbolic("batch"), .fixed(4)])
        XCTAssertEqual(outputs.map(\.name), ["logits", "h_out", "c_out"])
        XCTAssertEqual(outputs[0].shape, [.symbolic("batch"), .fixed(5)])
        XCTAssertTrue(inputs.allSatisfy { !$0.docString.isEmpty } && outputs.allSatisfy { !$0.docString.isEmpty })
        XCTAssertEqual(model.graph.nodes.filter { $0.opType == "LSTM" }.count, 2)
        XCTAssertTrue(model.metadata.contains { $0.key == "vocab" })

        let gru = try charModel(.gru, layers: 1).onnxModel(.sequence)
        XCTAssertEqual(gru.graph.inputs.map(\.name), ["tokens", "h"])
        XCTAssertEqual(gru.graph.inputs[0].shape, [.symbolic("steps"), .symbolic("batch")])
        XCTAssertEqual(gru.graph.outputs.map(\.name), ["logits", "h_out"])
        XCTAssertEqual(gru.graph.outputs[0].shape, [.symbolic("steps"), .symbolic("batch"), .fixed(5)])
    }

    /// PyTorch's i, f, g, o blocks as ONNX's i, o, f, c, biases [Wb, Rb]; GRU's r, z, n as z, r, h
    /// with linear_before_reset = 1.
    func testGateOrderAndBiasLayout() throws {
        let lstm = charModel(.lstm, layers: 1)
        let model = try lstm.onnxModel(.step)
        let H = 4
        let weight = Dictionary(uniqueKeysWithValues: lstm.rnn.stateDict.map { ($0.0, $0.1.value.scalars) })
        let w = try floats(initializer(model, "rnn.W_l0")), input = 3
        let block = { (values: [Float], k: Int, width: Int) in Array(values[(k * H * width)..<((k + 1) * H * width)]) }
        for (onnx, pytorch) in [(0, 0), (1, 3), (2, 1), (3, 2)] {
            XCTAssertEqual(block(w, onnx, input), block(weight["weight_ih_l0"]!, pytorch, input))
        }
        let b = try floats(initializer(model, "rnn.B_l0"))
        XCTAssertEqual(b.count, 8 * H)
        XCTAssertEqual(block(b, 1, 1), block(weight["bias_ih_l0"]!, 3, 1))
        XCTAssertEqual(block(b, 4 + 2, 1), block(weight["bias_hh_l0"]!, 1, 1))

        let gru = charModel(.gru, layers: 1)
        let gruModel = try gru.onnxModel(.step)
        let r = try floats(initializer(gruModel, "rnn.R_l0"))
        let gruWeight = Dictionary(uniqueKeysWithValues: gru.rnn.stateDict.map { ($0.0, $0.1.value.scalars) })
        XCTAssertEqual(block(r, 0, H), block(gruWeight["weight_hh_l0"]!, 1, H))
        XCTAssertEqual(block(r, 1, H), block(gruWeight["weight_hh_l0"]!, 0, H))
        let node = try XCTUnwrap(gruModel.graph.nodes.first { $0.opType == "GRU" })
        guard case .int(1) = node.attributes.first(where: { $0.name == "linear_before_reset" })?.value else {
            return XCTFail("GRU without linear_before_reset = 1")
        }
    }

    func testClassifierInterface() throws {
        let classifier = Classifier(
            .recurrent(cell: .gru, hidden: 4, layers: 2, bidirectional: true), channels: 3, length: nil,
            classNames: ["x", "y"], random: RandomSource(seed: 1))
        let withLengths = try classifier.onnxModel()
        XCTAssertEqual(withLengths.graph.inputs.map(\.name), ["x", "lengths"])
        XCTAssertEqual(withLengths.graph.inputs[0].shape, [.symbolic("batch"), .symbolic("steps"), .fixed(3)])
        XCTAssertEqual(withLengths.graph.inputs[1].elementType, .int64)
        XCTAssertEqual(withLengths.graph.outputs.map(\.name), ["logits"])
        XCTAssertEqual(withLengths.graph.outputs[0].shape, [.symbolic("batch"), .fixed(2)])
        XCTAssertEqual(try classifier.onnxModel(lengths: false).graph.inputs.map(\.name), ["x"])

        let mlp = Classifier(
            .mlp(hidden: [5]), channels: 1, length: 7, classNames: ["x", "y"], random: RandomSource(seed: 1))
        XCTAssertEqual(try mlp.onnxModel().graph.inputs.map(\.name), ["x"])
        XCTAssertEqual(try mlp.onnxModel().graph.inputs[0].shape, [.symbolic("batch"), .fixed(7), .fixed(1)])
    }

    func testEnsembleAveragesItsMembersProbabilities() throws {
        let members = (0..<2).map { k in
            Classifier(
                .recurrent(cell: .lstm, hidden: 3, layers: 1), channels: 1, length: nil, classNames: ["x", "y"],
                random: RandomSource(seed: UInt64(k)))
        }
        let graph = try ClassifierEnsemble(members: members).onnxModel().graph
        XCTAssertEqual(graph.inputs.map(\.name), ["x", "lengths"])
        XCTAssertEqual(graph.outputs.map(\.name), ["logits"])
        XCTAssertEqual(graph.nodes.filter { $0.opType == "Softmax" }.count, 2)
        XCTAssertEqual(graph.nodes.last?.opType, "Log")
        XCTAssertTrue(graph.initializers.contains { $0.name == "members.1.head.weight" })
    }

    func testForecasterAndSeq2SeqInterfaces() throws {
        let seasonal = GlobalForecaster(
            ForecasterConfiguration(horizon: 3, season: 4, hidden: 4, members: 2), random: RandomSource(seed: 1))
        let graph = try seasonal.onnxModel().graph
        XCTAssertEqual(graph.inputs.map(\.name), ["history", "lengths", "phase"])
        XCTAssertEqual(graph.outputs.map(\.name), ["forecast"])
        XCTAssertEqual(graph.outputs[0].shape, [.symbolic("batch"), .fixed(3), .fixed(3)])
        let plain = GlobalForecaster(
            ForecasterConfiguration(horizon: 2, hidden: 4, members: 1), random: RandomSource(seed: 1))
        XCTAssertEqual(try plain.onnxModel().graph.inputs.map(\.name), ["history", "lengths"])

        let seq2seq = Seq2Seq(
            cell: .lstm, characters: ["0", "1", "2"], embedding: 3, hidden: 4, layers: 2, random: RandomSource(seed: 1))
        let encoder = try seq2seq.onnxModel(.encoder).graph
        XCTAssertEqual(encoder.inputs.map(\.name), ["tokens", "lengths"])
        XCTAssertEqual(encoder.outputs.map(\.name), ["h", "c"])
        let decoder = try seq2seq.onnxModel(.decoder).graph
        XCTAssertEqual(decoder.inputs.map(\.name), ["tokens", "h", "c"])
        XCTAssertEqual(decoder.outputs.map(\.name), ["logits", "h_out", "c_out"])
        XCTAssertEqual(decoder.outputs[0].shape, [.symbolic("batch"), .fixed(5)])
    }

    func testWhatHasNoONNXFormIsRefusedByName() {
        XCTAssertThrowsError(try charModel(.layerNormLSTM).onnxModel(.step)) { error in
            XCTAssertEqual((error as? ExportError)?.subject, "cell layer_norm_lstm")
            XCTAssertTrue("\(error)".contains("ONNX"))
        }
        let rocket = Classifier(
            .miniRocket(features: 84, maxDilations: 2), channels: 1, length: nil, classNames: ["x", "y"],
            random: RandomSource(seed: 1))
        XCTAssertThrowsError(try rocket.onnxModel()) { error in
            XCTAssertEqual((error as? ExportError)?.subject, "architecture minirocket")
        }
    }

    /// The reference run holds exactly the graph's inputs and outputs.
    func testReferenceRunMatchesTheGraph() throws {
        let model = charModel(.lstm)
        var generator = SeededGenerator(seed: 1)
        let run = model.referenceRun(.sequence, tokens: [0, 1, 2, 3, 4, 0], batch: 2, generator: &generator)
        let graph = try model.onnxModel(.sequence).graph
        XCTAssertEqual(run.inputs.map(\.name), graph.inputs.map(\.name))
        XCTAssertEqual(run.outputs.map(\.name), graph.outputs.map(\.name))
        XCTAssertEqual(run.outputs[0].shape, [3, 2, 5])
        XCTAssertEqual(run.inputs[0].integers, [0, 1, 2, 3, 4, 0])
    }
}
