import Feedforward
import Recurrent
import SeqTensor
import XCTest

/// The recurrent layers split the batch over threads when the work is large enough (each thread
/// running the whole sequence for its rows, with the input projections done step by step). Small
/// problems stay on one thread, so the other tests mostly see that path: here the same small
/// problems run both ways and must agree, outputs, final state and every gradient.
final class BatchSplitTests: XCTestCase {
    func results(_ kind: CellKind, bidirectional: Bool, tokens: Bool, lengths: [Int]?, split: Bool) -> [Tensor] {
        withBatchSplit(split) { results(kind, bidirectional: bidirectional, tokens: tokens, lengths: lengths) }
    }

    func results(_ kind: CellKind, bidirectional: Bool, tokens: Bool, lengths: [Int]?) -> [Tensor] {
        let T = 5, B = 5, D = bidirectional ? 2 : 1
        var inputs = StackInputs(kind, bidirectional: bidirectional, steps: T, batch: B, seed: 11)
        let (rnn, table, ids, x) = (inputs.rnn, inputs.table, inputs.ids, inputs.x)
        let weights = Variable(
            Tensor(uniform: [T, B, D * StackInputs.hidden], low: -1, high: 1, generator: &inputs.generator))
        let (y, state) =
            tokens
            ? rnn(tokens: ids, steps: T, batch: B, embedding: table, state: nil, lengths: lengths)
            : rnn(x, state: nil, lengths: lengths)
        ((y * weights).sum() + state.h.sum()).backward()
        return [y.value, state.h.value] + rnn.parameters.map { $0.grad ?? Tensor(zeros: $0.shape) }
            + [tokens ? table.grad! : x.grad!]
    }

    func testThreadedRowsMatchOneThread() throws {
        try XCTSkipUnless(GemmBackend.current == .native, "the batch is split only with the native GEMM")
        for kind in CellKind.fused {
            for bidirectional in [false, true] {
                for tokens in [false, true] {
                    for lengths in [nil, [5, 2, 4, 1, 3]] as [[Int]?] {
                        let one = results(
                            kind, bidirectional: bidirectional, tokens: tokens, lengths: lengths, split: false)
                        let two = results(
                            kind, bidirectional: bidirectional, tokens: tokens, lengths: lengths, split: true)
                        for (k, (a, b)) in zip(one, two).enumerated() {
                            var worst: Float = 0
                            for i in 0..<a.count {
                                worst = max(worst, abs(a.pointer[i] - b.pointer[i]) / max(abs(a.pointer[i]), 0.1))
                            }
                            XCTAssertLessThan(
                                worst, 1e-5,
                                "\(kind) bidirectional \(bidirectional) tokens \(tokens) lengths \(lengths != nil): "
                                    + "tensor \(k)"
                            )
                        }
                    }
                }
            }
        }
    }
}
