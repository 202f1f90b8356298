import Feedforward
import Parity
import Recurrent
import SeqTensor
import XCTest

/// The registry of cells (`CellKind`), the layer over any cell (a user's included), typed and
/// erased states, PyTorch's names and draw order, and `batchFirst`.
final class CellRegistryTests: XCTestCase {
    func testNamesAndAliases() {
        XCTAssertEqual(CellKind.all.map(\.name).prefix(4), ["lstm", "gru", "rnn_tanh", "rnn_relu"])
        XCTAssertEqual(Set(CellKind.all).count, CellKind.all.count, "one name, one cell")
        for kind in CellKind.all {
            XCTAssertEqual(CellKind(name: kind.name), kind)
            XCTAssertEqual(CellKind(name: kind.name.uppercased().replacingOccurrences(of: "_", with: "-")), kind)
        }
        XCTAssertEqual(CellKind(name: "rnn"), .rnnTanh)
        XCTAssertEqual(CellKind(name: "RNN-Tanh"), .rnnTanh)
        XCTAssertEqual(CellKind(name: "rnn-relu"), .rnnRelu)
        XCTAssertNil(CellKind(name: "lstmx"))
        XCTAssertNil(CellKind(name: ""))
        XCTAssertEqual(CellKind.lstm.stateNames, ["h", "c"])
        XCTAssertEqual(CellKind.gru.stateNames, ["h"])
    }

    /// What loaders check files against is what the layers hold, for every cell and shape.
    func testParameterShapesAreTheLayersOwn() {
        for kind in CellKind.all {
            for (layers, bidirectional, bias) in [(1, false, true), (2, true, true), (3, false, false)] {
                let layer = kind.makeLayer(
                    inputSize: 3, hiddenSize: 5, numLayers: layers, bidirectional: bidirectional, bias: bias,
                    random: RandomSource(seed: 1))
                let shapes = kind.parameterShapes(
                    inputSize: 3, hiddenSize: 5, numLayers: layers, bidirectional: bidirectional, bias: bias)
                XCTAssertEqual(shapes.map(\.0), layer.namedParameters.map(\.0), "\(kind)")
                XCTAssertEqual(shapes.map(\.1), layer.namedParameters.map(\.1.shape), "\(kind)")
                XCTAssertEqual(layer.cellName, kind.name)
                XCTAssertEqual(layer.cell, kind)
                XCTAssertEqual(layer.stateNames, kind.stateNames)
            }
        }
        XCTAssertEqual(
            CellKind.lstm.parameterShapes(inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true).map(\.0)
                .prefix(5),
            ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"])
    }

    /// Weights are drawn as PyTorch's nn.LSTM draws them: per layer, per direction, weight_ih,
    /// weight_hh, bias_ih, bias_hh, uniform in ±1/sqrt(H); so seeded runs stay as they were.
    func testDrawOrder() {
        let layer = LSTM(inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, random: RandomSource(seed: 5))
        let random = RandomSource(seed: 5)
        let bound = 1 / Float(3).squareRoot()
        for (name, p) in layer.namedParameters {
            let drawn = Tensor(uniform: p.shape, low: -bound, high: bound, generator: &random.generator)
            XCTAssertEqual(p.value, drawn, name)
        }
    }

    func testTypedAndErasedStates() {
        let random = RandomSource(seed: 2)
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, numLayers: 2, random: random)
        let x = Variable(Tensor(uniform: [4, 5, 2], low: -1, high: 1, generator: &random.generator))
        let (output, state) = lstm(x)  // typed: LSTMState
        XCTAssertEqual(output.shape, [4, 5, 3])
        XCTAssertEqual(state.h.shape, [2, 5, 3])
        XCTAssertEqual(state.c.shape, [2, 5, 3])
        let erased: any RecurrentStack = lstm
        let (again, parts) = erased(x, state: RecurrentState(state.detached()))
        XCTAssertEqual(parts.parts.count, 2)
        XCTAssertEqual(lstm(x, state: state.detached()).output.value, again.value)
        XCTAssertEqual(erased.zeroState(batch: 5).parts.map(\.shape), [[2, 5, 3], [2, 5, 3]])
        XCTAssertEqual(lstm.summaryName, "LSTM(2->3, layers=2)")
    }

    /// batch_first: (B, T, F) in and out, the state still (L*D, B, H); features and tokens.
    func testBatchFirst() {
        for kind in [CellKind.lstm, .gruResetBefore] {
            let (T, B, I, V) = (4, 3, 2, 6)
            let sequenceFirst = kind.makeLayer(
                inputSize: I, hiddenSize: 5, bidirectional: true, random: RandomSource(seed: 3))
            let batchFirst = kind.makeLayer(
                inputSize: I, hiddenSize: 5, bidirectional: true, batchFirst: true, random: RandomSource(seed: 3))
            var generator = SeededGenerator(seed: 4)
            let x = Variable(Tensor(uniform: [T, B, I], low: -1, high: 1, generator: &generator))
            let lengths = [4, 2, 3]
            let a = sequenceFirst(x, lengths: lengths), b = batchFirst(x.swappingFirstAxes(), lengths: lengths)
            XCTAssertEqual(a.output.value.swappingFirstAxes(), b.output.value, "\(kind)")
            XCTAssertEqual(a.state.parts.map(\.value), b.state.parts.map(\.value), "\(kind)")

            let table = Variable(Tensor(uniform: [V, I], low: -1, high: 1, generator: &generator))
            let ids = (0..<(T * B)).map { $0 % V }  // time-major
            let batchMajor = (0..<(B * T)).map { ids[($0 % T) * B + $0 / T] }
            let c = sequenceFirst(tokens: ids, steps: T, batch: B, embedding: table, state: nil)
            let d = batchFirst(tokens: batchMajor, steps: T, batch: B, embedding: table, state: nil)
            XCTAssertEqual(c.output.value.swappingFirstAxes(), d.output.value, "\(kind) tokens")
        }
    }

    /// A cell written outside the package (an Elman cell of two Linear layers) stacks, runs both
    /// ways and honours lengths in the layer, with the numbers of the library's fused RNN of the
    /// same weights, and names its parameters after its own.
    func testAUserCellRunsInTheLayerAsTheFusedRNNDoes() {
        let user = RecurrentLayer(inputSize: 3, numLayers: 2, bidirectional: true, random: RandomSource(seed: 6)) {
            ElmanCell(inputSize: $0, hiddenSize: 4, random: $1)
        }
        XCTAssertEqual(
            user.namedParameters.map(\.0).prefix(4), ["ih_l0.weight", "ih_l0.bias", "hh_l0.weight", "hh_l0.bias"])
        XCTAssertNil(user.cell)
        XCTAssertNil(user.fusedKernels)
        let rnn = RNN(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, random: RandomSource(seed: 7))
        for (cells, fused) in zip(user.cells.joined(), rnn.cells.joined()) {
            fused.weights.weightIH.value = cells.ih.weight.value
            fused.weights.biasIH!.value = cells.ih.bias!.value
            fused.weights.weightHH.value = cells.hh.weight.value
            fused.weights.biasHH!.value = cells.hh.bias!.value
        }
        var generator = SeededGenerator(seed: 8)
        let x = Variable(Tensor(uniform: [5, 3, 3], low: -1, high: 1, generator: &generator))
        let h0 = Variable(Tensor(uniform: [4, 3, 4], low: -1, high: 1, generator: &generator))
        let lengths = [5, 2, 4]
        let a = user(x, state: HiddenState(h: h0), lengths: lengths)
        let b = rnn(x, state: HiddenState(h: h0), lengths: lengths)
        for (u, f) in zip(
            a.output.value.scalars + a.state.h.value.scalars, b.output.value.scalars + b.state.h.value.scalars)
        {
            XCTAssertEqual(u, f, accuracy: 1e-5)
        }
    }
}

/// h' = tanh(W_ih x + b_ih + W_hh h + b_hh), written as a user would.
final class ElmanCell: RecurrentCell {
    let inputSize: Int, hiddenSize: Int
    let ih: Linear, hh: Linear
    init(inputSize: Int, hiddenSize: Int, random: RandomSource) {
        (self.inputSize, self.hiddenSize) = (inputSize, hiddenSize)
        ih = Linear(inFeatures: inputSize, outFeatures: hiddenSize, random: random)
        hh = Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, random: random)
    }
    var children: [(String, any Module)] { [("ih", ih), ("hh", hh)] }
    var name: String { "elman" }
    func callAsFunction(_ x: Variable, state: HiddenState) -> HiddenState {
        HiddenState(h: (ih(x) + hh(state.h)).tanh())
    }
}
