import Feedforward
import Recurrent
import SeqTensor
import XCTest

/// When nothing records, `recurrentSequence` runs forward only: one step's gates, recurrent
/// projections and two cell-state slots reused at every step. The arithmetic is the same as the
/// recorded forward's, so the output and the final state must be the same to the last bit, for
/// every fused cell, direction, input kind, lengths, and with the batch on one thread or split
/// over two.
final class ForwardOnlyTests: XCTestCase {
    /// The output and final state of a 2-layer stack of `kind` from a random initial state, run
    /// recording (every input a leaf that requires its gradient) or without.
    func outputs(
        _ kind: CellKind, bidirectional: Bool, tokens: Bool, lengths: [Int]?, split: Bool, recording: Bool
    ) -> [Tensor] {
        let T = 6, B = 5, D = bidirectional ? 2 : 1
        var inputs = StackInputs(kind, bidirectional: bidirectional, steps: T, batch: B, seed: 21)
        let (rnn, table, ids, x) = (inputs.rnn, inputs.table, inputs.ids, inputs.x)
        let start = RecurrentState(
            parts: rnn.stateNames.map { _ in
                Variable(
                    Tensor(uniform: [2 * D, B, StackInputs.hidden], low: -1, high: 1, generator: &inputs.generator),
                    requiresGrad: true)
            })
        func run() -> [Tensor] {
            let (y, state) =
                tokens
                ? rnn(tokens: ids, steps: T, batch: B, embedding: table, state: start, lengths: lengths)
                : rnn(x, state: start, lengths: lengths)
            XCTAssertEqual(y.requiresGrad, recording)
            return [y.value] + state.parts.map(\.value)
        }
        return withBatchSplit(split) { recording ? run() : Graph.withoutRecording(run) }
    }

    func testForwardOnlyEqualsTheRecordedForward() {
        for kind in CellKind.fused {
            for bidirectional in [false, true] {
                for tokens in [false, true] {
                    for lengths in [nil, [6, 2, 4, 1, 3]] as [[Int]?] {
                        for split in [false, true] {
                            let what =
                                "\(kind) bidirectional \(bidirectional) tokens \(tokens) "
                                + "lengths \(lengths != nil) split \(split)"
                            let recorded = outputs(
                                kind, bidirectional: bidirectional, tokens: tokens, lengths: lengths, split: split,
                                recording: true)
                            let forwardOnly = outputs(
                                kind, bidirectional: bidirectional, tokens: tokens, lengths: lengths, split: split,
                                recording: false)
                            XCTAssertEqual(recorded.count, forwardOnly.count, what)
                            for (k, (a, b)) in zip(recorded, forwardOnly).enumerated() {
                                XCTAssertEqual(a.shape, b.shape, "\(what): tensor \(k)")
                                let differing = (0..<a.count).filter { a.pointer[$0] != b.pointer[$0] }.count
                                XCTAssertEqual(differing, 0, "\(what): tensor \(k)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backward through a forward-only pass is a programmer error; recording is what keeps the
    /// steps, so a recorded pass after a forward-only one still trains (its gradient is finite
    /// and the same as a fresh layer's).
    func testRecordingAfterForwardOnlyStillHasGradients() {
        let random = RandomSource(seed: 5)
        let rnn = CellKind.lstm.makeLayer(inputSize: 3, hiddenSize: 4, random: random)
        var g = SeededGenerator(seed: 6)
        let x = Variable(Tensor(uniform: [4, 2, 3], low: -1, high: 1, generator: &g), requiresGrad: true)
        _ = Graph.withoutRecording { rnn(x, state: nil) }
        rnn(x, state: nil).output.sum().backward()
        let grad = rnn.parameters[1].grad!
        XCTAssertTrue((0..<grad.count).contains { grad.pointer[$0] != 0 })
    }
}
