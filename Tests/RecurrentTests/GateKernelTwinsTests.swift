import CKernels
import SeqTensor
import XCTest

@testable import Recurrent

/// The C gate kernels (CKernels/GateKernels.h, 8 lanes with AVX2 and 16 with AVX-512) must give
/// exactly the bits the portable Swift kernels give, on ordinary values, saturating ones, ±inf,
/// NaN and a ragged tail, on every instruction set this CPU runs.
final class GateKernelTwinsTests: XCTestCase {
    let rows = 3, hidden = 37  // 37 = 2 * 16 + 5 = 4 * 8 + 5: full vectors and a masked tail
    var g = SeededGenerator(seed: 5)
    let specials: [Float] = [
        0, -0.0, 1e-30, -1e-30, 0.6249, 0.625, 9, -9, 30, -30, 95, -110, .infinity, -.infinity, .nan,
    ]

    /// The instruction sets with C kernels that this CPU runs; the test is skipped without any.
    func nativeSets() throws -> [InstructionSet] {
        let sets = InstructionSet.supported.filter { $0 != .portable }
        try XCTSkipIf(sets.isEmpty, "this CPU runs neither AVX2 nor AVX-512; only the Swift kernels run")
        return sets
    }

    func values(_ n: Int, scale: Float) -> [Float] {
        (0..<n).map { i in i % 5 == 0 ? specials[(i / 5) % specials.count] : Float.random(in: -scale...scale, using: &g)
        }
    }

    func assertSameBits(_ isa: InstructionSet, _ names: [String], _ native: [[Float]], _ swift: [[Float]]) {
        for (name, (a, b)) in zip(names, zip(native, swift)) {
            for k in a.indices where a[k].bitPattern != b[k].bitPattern && !(a[k].isNaN && b[k].isNaN) {
                XCTFail("\(name)[\(k)]: \(isa) \(a[k]), Swift \(b[k])")
                break
            }
        }
    }

    func testLSTMKernelsAreBitIdenticalToTheSwiftOnes() throws {
        let preactivations = values(rows * 4 * hidden, scale: 12)
        let cPrev = values(rows * hidden, scale: 3), dh = values(rows * hidden, scale: 2),
            dc = values(rows * hidden, scale: 2)

        func run(_ isa: InstructionSet) -> [[Float]] {
            var gates = preactivations, c = [Float](repeating: 0, count: rows * hidden), h = c
            var dGates = [Float](repeating: 0, count: rows * 4 * hidden), dcPrev = c
            if isa == .portable {
                LSTMKernels.forwardPortable(gates: &gates, cPrev: cPrev, c: &c, h: &h, rows: rows, hidden: hidden)
                LSTMKernels.backwardPortable(
                    gates: gates, c: c, cPrev: cPrev, dh: dh, dc: dc, dGates: &dGates,
                    dcPrev: &dcPrev, rows: rows, hidden: hidden)
            } else {
                st_lstm_forward(isa.kernelCode, &gates, cPrev, &c, &h, rows, hidden)
                st_lstm_backward(isa.kernelCode, gates, c, cPrev, dh, dc, &dGates, &dcPrev, rows, hidden)
            }
            return [gates, c, h, dGates, dcPrev]
        }
        for isa in try nativeSets() {
            assertSameBits(isa, ["gates", "c", "h", "dGates", "dcPrev"], run(isa), run(.portable))
        }
    }

    func testGRUAndTanhKernelsAreBitIdenticalToTheSwiftOnes() throws {
        let gx = values(rows * 3 * hidden, scale: 12), gh = values(rows * 3 * hidden, scale: 12)
        let bias = values(3 * hidden, scale: 2), hPrev = values(rows * hidden, scale: 1)
        let dh = values(rows * hidden, scale: 2)
        for isa in try nativeSets() {
            for (withBias, saveGates) in [(true, true), (false, true), (true, false)] {
                func run(_ isa: InstructionSet) -> [[Float]] {
                    var x = gx, hh = gh, h = [Float](repeating: 0, count: rows * hidden)
                    func step(_ b: UnsafePointer<Float>?) {
                        if isa == .portable {
                            GRUKernels.forwardPortable(
                                gx: &x, gh: &hh, biasHH: b, hPrev: hPrev, h: &h,
                                rows: rows, hidden: hidden, saveGates: saveGates)
                        } else {
                            st_gru_forward(isa.kernelCode, &x, &hh, b, hPrev, &h, rows, hidden, saveGates ? 1 : 0)
                        }
                    }
                    if withBias { bias.withUnsafeBufferPointer { step($0.baseAddress) } } else { step(nil) }
                    guard saveGates else { return [x, hh, h] }
                    var dGates = [Float](repeating: 0, count: rows * 3 * hidden), dRecurrent = dGates
                    var dhPrev = [Float](repeating: 0, count: rows * hidden)
                    if isa == .portable {
                        GRUKernels.backwardPortable(
                            gates: x, recurrentProjection: hh, hPrev: hPrev, dh: dh, dGates: &dGates,
                            dRecurrentProjection: &dRecurrent, dhPrev: &dhPrev, rows: rows, hidden: hidden)
                    } else {
                        st_gru_backward(isa.kernelCode, x, hh, hPrev, dh, &dGates, &dRecurrent, &dhPrev, rows, hidden)
                    }
                    return [x, hh, h, dGates, dRecurrent, dhPrev]
                }
                assertSameBits(
                    isa, ["gx", "gh", "h", "dGates", "dRecurrentProjection", "dhPrev"], run(isa), run(.portable))
            }
            var native = [Float](repeating: 0, count: gx.count), swift = native
            st_tanh(isa.kernelCode, gx, &native, gx.count)
            VectorMath.map(gx, &swift, count: gx.count) { VectorMath.tanh($0) }
            assertSameBits(isa, ["tanh"], [native], [swift])
        }
    }
}
