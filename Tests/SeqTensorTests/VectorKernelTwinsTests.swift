import CKernels
import XCTest

@testable import SeqTensor

/// The C twins of SeqTensor's Swift loops (CKernels/VectorMaps.h, Updates.h: 8 lanes with AVX2,
/// 16 with AVX-512) give exactly the Swift loops' bits, on every instruction set this CPU runs;
/// and the fused multiply-add that the Swift kernels are built on rounds once, as the C library's
/// `fmaf` does, on every input.
final class VectorKernelTwinsTests: XCTestCase {
    var generator = SeededGenerator(seed: 11)
    let specials: [Float] = [
        0, -0.0, 1e-30, -1e-30, 0x1.2p-133, 0.6249, 0.625, 9, -9, 30, -30, 88.8, 95, -110, .infinity, -.infinity, .nan,
    ]

    /// 37 values (16 + 16 + 5, 4 * 8 + 5: whole vectors and a ragged tail), every fifth a special.
    func values(scale: Float, count: Int = 37) -> [Float] {
        (0..<count).map { i in
            i % 5 == 0 ? specials[(i / 5) % specials.count] : Float.random(in: -scale...scale, using: &generator)
        }
    }

    func nativeSets() throws -> [InstructionSet] {
        let sets = InstructionSet.supported.filter { $0 != .portable }
        try XCTSkipIf(sets.isEmpty, "this CPU runs neither AVX2 nor AVX-512; only the Swift loops run")
        return sets
    }

    func assertSameBits(_ native: [Float], _ swift: [Float], _ what: String) {
        for k in native.indices
        where native[k].bitPattern != swift[k].bitPattern && !(native[k].isNaN && swift[k].isNaN) {
            XCTFail("\(what)[\(k)]: C \(native[k]), Swift \(swift[k])")
            return
        }
    }

    func testMapsAreBitIdenticalToTheSwiftOnes() throws {
        let x = values(scale: 20)
        for isa in try nativeSets() {
            var native = [Float](repeating: 0, count: x.count), swift = native
            st_tanh(isa.kernelCode, x, &native, x.count)
            VectorMath.map(x, &swift, count: x.count) { VectorMath.tanh($0) }
            assertSameBits(native, swift, "\(isa) tanh")
            st_sigmoid(isa.kernelCode, x, &native, x.count)
            VectorMath.map(x, &swift, count: x.count) { VectorMath.sigmoid($0) }
            assertSameBits(native, swift, "\(isa) sigmoid")
            st_exp_shifted(isa.kernelCode, x, 3.5, &native, x.count)
            VectorMath.map(x, &swift, count: x.count) { VectorMath.exp($0 - 3.5) }
            assertSameBits(native, swift, "\(isa) exp")
        }
    }

    func testAdamUpdateIsBitIdenticalToTheSwiftOne() throws {
        let count = 41
        let grad = values(scale: 0.1, count: count).map { $0.isFinite ? $0 : 0.01 }
        let start = (values(scale: 1, count: count), values(scale: 0.01, count: count))
        let firstSecond = values(scale: 1e-3, count: count).map { abs($0.isFinite ? $0 : 0) }
        // Coupled L2 (Adam) and decoupled decay (AdamW), early and late in training.
        let cases = [
            st_adam_constants(
                decay: 1, l2: 0.01, beta1: 0.9, beta2: 0.999, step_size: 1e-2, correction2_sqrt: 0.0447,
                epsilon: 1e-8),
            st_adam_constants(
                decay: 0.9999, l2: 0, beta1: 0.8, beta2: 0.99, step_size: 3e-4, correction2_sqrt: 0.99, epsilon: 1e-6),
        ]
        func run(_ isa: InstructionSet, _ constants: st_adam_constants, range: Range<Int>) -> [[Float]] {
            var (w, m, v) = (start.0, start.1, firstSecond)
            grad.withUnsafeBufferPointer { g in
                w.withUnsafeMutableBufferPointer { w in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            let moments = Adam.Moments(
                                count: count, grad: g.baseAddress!, weights: w.baseAddress!, first: m.baseAddress!,
                                second: v.baseAddress!, maxSecond: nil)
                            Adam.update(moments, range, constants, isa: isa)
                        }
                    }
                }
            }
            return [w, m, v]
        }
        for isa in try nativeSets() {
            for constants in cases {
                // A whole parameter, and a thread's share that starts at an odd element.
                for range in [0..<count, 3..<38] {
                    for (name, (native, swift)) in zip(
                        ["weights", "first moments", "second moments"],
                        zip(run(isa, constants, range: range), run(.portable, constants, range: range)))
                    {
                        assertSameBits(native, swift, "\(isa) \(name) \(range)")
                    }
                }
            }
        }
    }

    /// Inputs whose double sum lands exactly halfway between two floats (the case the emulation
    /// redoes), denormals, signed zeros, infinities and NaN, and plain random floats.
    func testFusedMultiplyAddRoundsOnceLikeTheCLibrary() {
        var doubtful = 0
        for k in 0..<20_000 {
            var a = SIMD8<Float>(), b = a, c = a
            for i in 0..<8 {
                switch (k + i) % 4 {
                case 0:
                    (a[i], b[i], c[i]) = (
                        .random(in: -4...4, using: &generator), .random(in: -4...4, using: &generator),
                        .random(in: -4...4, using: &generator)
                    )
                case 1:
                    // c + a b close to c + 2^-24 ulp-halfway: a b = 2^-24 (1 + e), |e| < 2^-24.
                    c[i] = 1 + Float(Int.random(in: 0..<(1 << 23), using: &generator)) * 0x1p-23
                    a[i] = .random(in: 1..<2, using: &generator)
                    b[i] = 0x1p-24 / a[i] * (Bool.random(using: &generator) ? 1 : -1)
                case 2:
                    (a[i], b[i], c[i]) = (
                        .random(in: -1e-20...1e-20, using: &generator), .random(in: -1e-18...1e-18, using: &generator),
                        [0, -0.0, 0x1.2p-133, -0x1p-128, 1e-38][Int.random(in: 0..<5, using: &generator)]
                    )
                default:
                    let edge: [Float] = [
                        0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1,
                    ]
                    a[i] = edge[Int.random(in: 0..<edge.count, using: &generator)]
                    b[i] = edge[Int.random(in: 0..<edge.count, using: &generator)] * 0.75
                    c[i] = edge[Int.random(in: 0..<edge.count, using: &generator)]
                }
            }
            // Every width the kernels use: 8 lanes, 16 (a b + c low, b c + a high), 4.
            let fused = FusedMultiplyAdd.lanes(a, b, c)
            let wide = FusedMultiplyAdd.lanes(
                SIMD16(lowHalf: a, highHalf: b), SIMD16(lowHalf: b, highHalf: c), SIMD16(lowHalf: c, highHalf: a))
            let narrow = FusedMultiplyAdd.lanes(a.lowHalf, b.lowHalf, c.lowHalf)
            for i in 0..<8 {
                let expected = c[i].addingProduct(a[i], b[i])
                if Float(Double(a[i]) * Double(b[i]) + Double(c[i])) != expected && !expected.isNaN { doubtful += 1 }
                var checks = [(fused[i], expected, "8 lanes"), (wide[i], expected, "16 lanes")]
                checks.append((wide[i + 8], a[i].addingProduct(b[i], c[i]), "16 lanes, high half"))
                if i < 4 { checks.append((narrow[i], expected, "4 lanes")) }
                for (got, want, name) in checks where got.bitPattern != want.bitPattern && !(got.isNaN && want.isNaN) {
                    XCTFail("\(name): fma(\(a[i]), \(b[i]), \(c[i])) gave \(got), fmaf \(want)")
                    return
                }
            }
        }
        // The halfway cases came up: naive double rounding would have got these wrong.
        XCTAssertGreaterThan(doubtful, 500)
    }
}
