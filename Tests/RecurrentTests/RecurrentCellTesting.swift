import Parity
import Recurrent
import SeqTensor
import XCTest

/// The worst finite-difference error of BPTT through a layer of `kind` over two chunks with the
/// state carried between them (not detached, so the gradient must flow from the second chunk back
/// into the first): the input, the parameters and, with `carryState`, the initial state as leaves;
/// stacked, in both directions, with lengths, through the fused kernels or the unrolled steps.
func bpttError(
    _ kind: CellKind, layers: Int = 1, bidirectional: Bool = false, lengths: [Int]? = nil, carryState: Bool = true,
    fused: Bool = true, step: Float = 1e-2
) -> GradientCheck.Report {
    let T = 6, B = 3, I = 2, H = 5
    let random = RandomSource(seed: 11)
    let layer = kind.makeLayer(
        inputSize: I, hiddenSize: H, numLayers: layers, bidirectional: bidirectional, random: random)
    layer.isTraining = false
    layer.usesFusedKernels = fused
    let x = Parameter(Tensor(uniform: [T, B, I], low: -1, high: 1, generator: &random.generator))
    let D = bidirectional ? 2 : 1
    let initial = kind.stateNames.map { _ in
        Parameter(Tensor(uniform: [layers * D, B, H], low: -0.5, high: 0.5, generator: &random.generator))
    }
    return GradientCheck.check([x] + layer.parameters + (carryState ? initial : []), step: step) {
        let first = layer(x, state: carryState ? RecurrentState(parts: initial) : nil, lengths: lengths)
        let second = layer(x, state: first.state, lengths: lengths)
        var loss = GradientCheck.weightedSum(first.output, seed: 1) + GradientCheck.weightedSum(second.output, seed: 2)
        for (k, part) in second.state.parts.enumerated() {
            loss = loss + GradientCheck.weightedSum(part, seed: 3 + UInt64(k))
        }
        return loss
    }
}

/// Fails unless `report` is within the finite-difference tolerance of these tests.
func assertGradientsMatch(
    _ report: GradientCheck.Report, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertLessThan(
        report.worstError, 2e-2,
        "\(what): leaf \(report.worstLeaf)[\(report.worstElement)]: analytic \(report.analytic), numeric "
            + "\(report.numeric)",
        file: file, line: line)
}

extension CellKind {
    /// The registered cells that have fused kernels (the others unroll their step).
    static var fused: [CellKind] {
        all.filter { $0.makeCell(inputSize: 1, hiddenSize: 1, random: RandomSource(seed: 0)).fusedKernels != nil }
    }
}

/// `body` on 2 threads with the batch split over them (`split`: each thread runs the whole
/// sequence for its rows, even for small problems) or kept on one thread; the settings are put
/// back after.
func withBatchSplit<R>(_ split: Bool, _ body: () -> R) -> R {
    let threadsBefore = BLASThreads.current, minimumBefore = Parallel.minimumRowWork
    BLASThreads.set(2)
    Parallel.minimumRowWork = split ? 0 : Int.max
    defer {
        BLASThreads.set(threadsBefore)
        Parallel.minimumRowWork = minimumBefore
    }
    return body()
}

/// A 2-layer stack of `kind` (E = 5 inputs, H = 7 hidden units) drawn from `seed`, an embedding
/// table (V = 6, E) drawn after it, and, from `seed + 1`, T*B token ids and features (T, B, E) to
/// run it on both ways; `generator` goes on from there for the caller's further draws.
struct StackInputs {
    static let vocabulary = 6, embedding = 5, hidden = 7
    let rnn: any RecurrentStack, table: Parameter, ids: [Int], x: Variable
    var generator: SeededGenerator

    init(_ kind: CellKind, bidirectional: Bool, steps T: Int, batch B: Int, seed: UInt64) {
        let (V, E) = (Self.vocabulary, Self.embedding)
        let random = RandomSource(seed: seed)
        rnn = kind.makeLayer(
            inputSize: E, hiddenSize: Self.hidden, numLayers: 2, bidirectional: bidirectional, random: random)
        table = Parameter(Tensor(normal: [V, E], generator: &random.generator), name: "embed")
        var g = SeededGenerator(seed: seed + 1)
        ids = (0..<(T * B)).map { _ in Int(g.next() % UInt64(V)) }
        x = Variable(Tensor(uniform: [T, B, E], low: -1, high: 1, generator: &g), requiresGrad: true)
        generator = g
    }
}
