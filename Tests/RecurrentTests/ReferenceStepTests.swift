import Parity
import Recurrent
import SeqTensor
import XCTest

/// Each cell's reference step (its equations as plain autodiff operations) against the fused
/// kernels of the sequence layer: the same outputs and the same gradients over a short sequence.
final class ReferenceStepTests: XCTestCase {
    func testFusedKernelsMatchTheReferenceStepOfEveryCell() {
        let (T, B, I, H) = (4, 3, 5, 11)  // H = 11: a full SIMD vector and a ragged tail
        for kind in CellKind.allCases {
            let layer = RecurrentLayer(kind, inputSize: I, hiddenSize: H, random: RandomSource(seed: 4))
            var generator = SeededGenerator(seed: 9)
            let x = Variable(Tensor(uniform: [T, B, I], low: -1, high: 1, generator: &generator), requiresGrad: true)
            let h0 = Variable(Tensor(uniform: [1, B, H], low: -1, high: 1, generator: &generator), requiresGrad: true)
            let c0 =
                kind.hasCellState
                ? Variable(Tensor(uniform: [1, B, H], low: -1, high: 1, generator: &generator), requiresGrad: true)
                : nil
            let leaves = [x, h0] + (c0.map { [$0] } ?? []) + layer.parameters

            func gradients(_ output: () -> Variable) -> (value: Tensor, grads: [Tensor]) {
                for leaf in leaves { leaf.zeroGrad() }
                let y = output()
                GradientCheck.weightedSum(y).backward()
                return (y.value, leaves.map { $0.grad ?? Tensor(zeros: $0.shape) })
            }
            let fused = gradients { layer(x, state: RecurrentState(h: h0, c: c0)).output }
            let reference = gradients {
                var state = RecurrentState(h: h0.reshaped([B, H]), c: c0?.reshaped([B, H]))
                var outputs: [Variable] = []
                for t in 0..<T {
                    state = kind.kernels.referenceStep(
                        x.slice(t..<(t + 1)).reshaped([B, I]), state: state, weights: layer.weights[0][0])
                    outputs.append(state.h.reshaped([1, B, H]))
                }
                return concatenate(outputs)
            }
            assertClose(fused.value, reference.value, "\(kind) output")
            for (leaf, (a, b)) in zip(
                ["x", "h0"] + (c0 == nil ? [] : ["c0"]) + layer.namedParameters.map(\.0),
                zip(fused.grads, reference.grads))
            {
                assertClose(a, b, "\(kind) grad \(leaf)")
            }
        }
    }

    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
        XCTAssertLessThan(worst, 2e-6, "\(what): largest difference \(worst)", file: file, line: line)
    }
}
