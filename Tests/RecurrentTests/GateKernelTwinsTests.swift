import CKernels
import SeqTensor
import XCTest

@testable import Recurrent

/// The AVX-512 gate kernels (CKernels/LSTMGates.c, GRUGates.c) must give exactly the bits the
/// portable Swift kernels give, on ordinary values, saturating ones, ±inf, NaN and a ragged tail.
final class GateKernelTwinsTests: XCTestCase {
    let rows = 3, hidden = 37  // 37 = 2 * 16 + 5: full vectors and a masked tail
    var g = SeededGenerator(seed: 5)
    let specials: [Float] = [
        0, -0.0, 1e-30, -1e-30, 0.6249, 0.625, 9, -9, 30, -30, 95, -110, .infinity, -.infinity, .nan,
    ]

    func values(_ n: Int, scale: Float) -> [Float] {
        (0..<n).map { i in i % 5 == 0 ? specials[(i / 5) % specials.count] : Float.random(in: -scale...scale, using: &g)
        }
    }

    func assertSameBits(_ names: [String], _ native: [[Float]], _ swift: [[Float]]) {
        for (name, (a, b)) in zip(names, zip(native, swift)) {
            for k in a.indices where a[k].bitPattern != b[k].bitPattern && !(a[k].isNaN && b[k].isNaN) {
                XCTFail("\(name)[\(k)]: AVX-512 \(a[k]), Swift \(b[k])")
                break
            }
        }
    }

    func testLSTMKernelsAreBitIdenticalToTheSwiftOnes() throws {
        try XCTSkipUnless(
            InstructionSet.supported.contains(.avx512), "this CPU has no AVX-512; only the Swift kernels run")
        let preactivations = values(rows * 4 * hidden, scale: 12)
        let cPrev = values(rows * hidden, scale: 3), dh = values(rows * hidden, scale: 2),
            dc = values(rows * hidden, scale: 2)

        func run(native: Bool) -> [[Float]] {
            var gates = preactivations, c = [Float](repeating: 0, count: rows * hidden), h = c
            var dGates = [Float](repeating: 0, count: rows * 4 * hidden), dcPrev = c
            if native {
                st_lstm_forward(&gates, cPrev, &c, &h, rows, hidden)
                st_lstm_backward(gates, c, cPrev, dh, dc, &dGates, &dcPrev, rows, hidden)
            } else {
                LSTMKernels.forwardPortable(gates: &gates, cPrev: cPrev, c: &c, h: &h, rows: rows, hidden: hidden)
                LSTMKernels.backwardPortable(
                    gates: gates, c: c, cPrev: cPrev, dh: dh, dc: dc, dGates: &dGates,
                    dcPrev: &dcPrev, rows: rows, hidden: hidden)
            }
            return [gates, c, h, dGates, dcPrev]
        }
        assertSameBits(["gates", "c", "h", "dGates", "dcPrev"], run(native: true), run(native: false))
    }

    func testGRUAndTanhKernelsAreBitIdenticalToTheSwiftOnes() throws {
        try XCTSkipUnless(
            InstructionSet.supported.contains(.avx512), "this CPU has no AVX-512; only the Swift kernels run")
        let gx = values(rows * 3 * hidden, scale: 12), gh = values(rows * 3 * hidden, scale: 12)
        let bias = values(3 * hidden, scale: 2), hPrev = values(rows * hidden, scale: 1)
        for (withBias, saveGates) in [(true, true), (false, true), (true, false)] {
            func run(native: Bool) -> [[Float]] {
                var x = gx, hh = gh, h = [Float](repeating: 0, count: rows * hidden)
                func step(_ b: UnsafePointer<Float>?) {
                    if native {
                        st_gru_forward(&x, &hh, b, hPrev, &h, rows, hidden, saveGates ? 1 : 0)
                    } else {
                        GRUKernels.forwardPortable(
                            gx: &x, gh: &hh, biasHH: b, hPrev: hPrev, h: &h,
                            rows: rows, hidden: hidden, saveGates: saveGates)
                    }
                }
                if withBias { bias.withUnsafeBufferPointer { step($0.baseAddress) } } else { step(nil) }
                return [x, hh, h]
            }
            assertSameBits(["gx", "gh", "h"], run(native: true), run(native: false))
        }
        var native = [Float](repeating: 0, count: gx.count), swift = native
        st_tanh(gx, &native, gx.count)
        VectorMath.map(gx, &swift, count: gx.count) { VectorMath.tanh($0) }
        assertSameBits(["tanh"], [native], [swift])
    }
}
