import Feedforward
import Recurrent
import SeqTensor
import XCTest

/// Learning tests that fail if BPTT is wrong: the label is the sign of the first input of a
/// 30-step sequence whose other 29 inputs are Gaussian noise (std 0.5), read out at the last
/// step. A gradient that flows back all 30 steps learns it reliably. (With the state detached
/// halfway the model can still learn it by accident, through the untrained first chunk's
/// memory, for some seeds and roundings: so the cut is tested on the gradient itself.)
///
/// As in PyTorch with the same setup, a freshly initialised cell forgets too fast to find the
/// signal: the LSTM starts with forget-gate bias 2 and the GRU with update-gate bias 1
/// (checked beforehand: PyTorch learns neither without, and both with, in 1500 steps).
final class LongMemoryLearningTests: XCTestCase {
    let T = 30, H = 16

    func batch(_ n: Int, _ g: inout SeededGenerator) -> (Tensor, [Int]) {
        var x = Tensor(uninitialized: [T, n, 1])
        var labels: [Int] = []
        let p = x.mutablePointer
        for b in 0..<n {
            let sign: Float = g.nextFloat() < 0.5 ? -1 : 1
            labels.append(sign > 0 ? 1 : 0)
            p[b] = sign
            for t in 1..<T { p[t * n + b] = g.nextNormal() * 0.5 }
        }
        return (x, labels)
    }

    /// Final hidden state (B, H).
    func finalHidden(_ rnn: any RecurrentStack, _ x: Tensor) -> Variable {
        rnn(Variable(x), state: nil).state.h.reshaped([x.shape[1], H])
    }

    func accuracyAfterTraining(_ kind: CellKind) throws -> Double {
        let random = RandomSource(seed: 3)
        let rnn = kind.makeLayer(inputSize: 1, hiddenSize: H, forgetGateBias: 2, random: random)
        (rnn as? GRU)?.cells[0][0].weights.setGateBias(1, to: 1)  // the update gate z
        let head = Linear(inFeatures: H, outFeatures: 2, random: random)
        let opt = Adam(rnn.parameters + head.parameters, learningRate: 1e-2)
        var g = SeededGenerator(seed: 9)
        for step in 0..<1500 {
            let (x, y) = batch(32, &g)
            let loss = crossEntropy(logits: head(finalHidden(rnn, x)), targets: y)
            try opt.minimize(loss, clip: 1, step: step + 1)
        }
        let (x, y) = batch(1000, &g)
        let logits = Graph.withoutRecording { head(finalHidden(rnn, x)) }.value
        var correct = 0
        for b in 0..<1000 where (logits.pointer[2 * b + 1] > logits.pointer[2 * b] ? 1 : 0) == y[b] { correct += 1 }
        return Double(correct) / 1000
    }

    func testLSTMRemembersTheFirstStep() throws { XCTAssertGreaterThan(try accuracyAfterTraining(.lstm), 0.95) }
    func testGRURemembersTheFirstStep() throws { XCTAssertGreaterThan(try accuracyAfterTraining(.gru), 0.95) }
    /// Detaching the state halfway stops the gradient there: the first chunk's inputs get none
    /// (exactly), while without the cut the very first input gets some.
    func testDetachedStateStopsTheGradient() {
        let random = RandomSource(seed: 3)
        let rnn = LSTM(inputSize: 1, hiddenSize: H, forgetGateBias: 2, random: random)
        var g = SeededGenerator(seed: 9)
        let (x, _) = batch(4, &g)

        let whole = Variable(x, requiresGrad: true)
        rnn(whole, state: nil).state.h.sum().backward()
        XCTAssertNotEqual(whole.grad?.pointer[0] ?? 0, 0, "without a cut the first input gets a gradient")

        let first = Variable(x.slice(0..<15), requiresGrad: true),
            second = Variable(x.slice(15..<T), requiresGrad: true)
        let carried = rnn(first, state: nil).state.detached()
        rnn(second, state: carried).state.h.sum().backward()
        XCTAssertTrue((0..<(15 * 4)).allSatisfy { (first.grad?.pointer[$0] ?? 0) == 0 }, "the cut stops the gradient")
        XCTAssertNotEqual(second.grad?.pointer[0] ?? 0, 0, "the second chunk still gets one")
    }
}
