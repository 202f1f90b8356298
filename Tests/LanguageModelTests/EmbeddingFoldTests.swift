import Datasets
import Feedforward
import LanguageModel
import Recurrent
import SeqTensor
import XCTest

/// Tokens through a folded table E W_ih^T + b (`RecurrentInput.tokens`) must give what the
/// embedding followed by the layer gives: outputs, final state and every gradient, for every
/// cell, two layers, both directions and a carried state.
final class EmbeddingFoldTests: XCTestCase {
    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        var worst: Float = 0
        for k in 0..<a.count { worst = max(worst, abs(a.pointer[k] - b.pointer[k]) / max(abs(b.pointer[k]), 0.1)) }
        XCTAssertLessThan(worst, 1e-5, what, file: file, line: line)
    }

    func testFoldedTableEqualsEmbeddingThenLayer() {
        let V = 7, E = 5, H = 6, T = 4, B = 3
        var g = SeededGenerator(seed: 2)
        let ids = (0..<(T * B)).map { _ in Int(g.next() % UInt64(V)) }
        for kind in CellKind.all {
            for bidirectional in [false, true] {
                let random = RandomSource(seed: 4)
                let rnn = kind.makeLayer(
                    inputSize: E, hiddenSize: H, numLayers: 2, bidirectional: bidirectional, random: random)
                let table = Parameter(Tensor(normal: [V, E], generator: &random.generator), name: "embed")
                let D = bidirectional ? 2 : 1
                let initial = kind.stateNames.map { _ in
                    Variable(Tensor(uniform: [2 * D, B, H], low: -1, high: 1, generator: &g), requiresGrad: true)
                }
                let weights = Tensor(uniform: [T, B, D * H], low: -1, high: 1, generator: &g)
                var results: [[Tensor]] = []
                for folded in [true, false] {
                    let parameters = rnn.parameters + [table]
                    for p in parameters { p.zeroGrad() }
                    for part in initial { part.zeroGrad() }
                    let state = RecurrentState(parts: initial)
                    let (y, final) =
                        folded
                        ? rnn(tokens: ids, steps: T, batch: B, embedding: table, state: state)
                        : rnn(embedding(ids, shape: [T, B], weight: table), state: state)
                    // A loss that weighs every output and the final state differently.
                    let loss = final.parts.dropFirst().reduce((y * Variable(weights)).sum() + final.h.sum()) {
                        $0 + 0.5 * $1.sum()
                    }
                    loss.backward()
                    results.append(
                        [y.value] + final.parts.map(\.value) + parameters.map { $0.grad! } + initial.map { $0.grad! })
                }
                for (k, (a, b)) in zip(results[0], results[1]).enumerated() {
                    assertClose(a, b, "\(kind) bidirectional \(bidirectional) tensor \(k)")
                }
            }
        }
    }

    func testCharModelLossAndGradientsDoNotDependOnTheFold() throws {
        let vocabulary = CharVocabulary(text: Array("abcdefg \n".unicodeScalars))
        let model = CharLanguageModel(
            .init(cell: .lstm, vocabularySize: vocabulary.count, embedding: 5, hidden: 8, layers: 2),
            vocabulary: vocabulary, random: RandomSource(seed: 3))
        let inputs = [3, 1, 4, 1, 5, 2, 6, 8, 0, 7, 2, 2], targets = [1, 4, 1, 5, 2, 6, 8, 0, 7, 2, 2, 3]
        var losses: [Float] = [], grads: [[Tensor]] = []
        for folded in [true, false] {
            model.foldsEmbedding = folded
            for p in model.parameters { p.zeroGrad() }
            let (loss, _) = model.loss(inputs: inputs, targets: targets, steps: 4, batch: 3, state: nil)
            loss.backward()
            losses.append(loss.value.pointer[0])
            grads.append(model.parameters.map { $0.grad! })
        }
        XCTAssertEqual(losses[0], losses[1], accuracy: 1e-6)
        for (k, (a, b)) in zip(grads[0], grads[1]).enumerated() { assertClose(a, b, "parameter \(k)") }
    }
}
