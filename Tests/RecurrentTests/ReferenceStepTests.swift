import Parity
import Recurrent
import SeqTensor
import XCTest

/// Each fused cell's kernels against its step in autodiff operations (its equations), unrolled by
/// the layer: the same outputs, final states and gradients over a short sequence, two layers,
/// both directions, variable lengths and a given initial state.
final class ReferenceStepTests: XCTestCase {
    func testFusedKernelsMatchTheStepsOfEveryCell() {
        let (T, B, I, H) = (4, 3, 5, 11)  // H = 11: a full SIMD vector and a ragged tail
        for kind in CellKind.fused {
            for lengths in [nil, [4, 1, 3]] as [[Int]?] {
                let layer = kind.makeLayer(
                    inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, random: RandomSource(seed: 4))
                var generator = SeededGenerator(seed: 9)
                let x = Variable(
                    Tensor(uniform: [T, B, I], low: -1, high: 1, generator: &generator), requiresGrad: true)
                let initial = kind.stateNames.map { _ in
                    Variable(Tensor(uniform: [4, B, H], low: -1, high: 1, generator: &generator), requiresGrad: true)
                }
                let leaves = [x] + initial + layer.parameters

                func gradients(fused: Bool) -> [Tensor] {
                    for leaf in leaves { leaf.zeroGrad() }
                    layer.usesFusedKernels = fused
                    let (y, state) = layer(x, state: RecurrentState(parts: initial), lengths: lengths)
                    var loss = GradientCheck.weightedSum(y)
                    for part in state.parts { loss = loss + GradientCheck.weightedSum(part, seed: 3) }
                    loss.backward()
                    return [y.value] + state.parts.map(\.value) + leaves.map { $0.grad ?? Tensor(zeros: $0.shape) }
                }
                let names =
                    ["output"] + kind.stateNames.map { "final \($0)" } + ["x"]
                    + kind.stateNames.map { "initial \($0)" } + layer.namedParameters.map(\.0)
                for (name, (a, b)) in zip(names, zip(gradients(fused: true), gradients(fused: false))) {
                    assertClose(a, b, "\(kind) lengths \(lengths != nil): \(name)")
                }
            }
        }
    }

    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
        XCTAssertLessThan(worst, 2e-6, "\(what): largest difference \(worst)", file: file, line: line)
    }
}
