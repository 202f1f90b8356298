import CKernels
import SeqTensor
import XCTest

/// The native GEMMs (`CKernels/GemmAVX2.c`, `GemmAVX512.c`), each that this CPU runs, against a
/// double-precision reference, over shapes that hit every edge of both tile sizes (6 x 16 and
/// 8 x 32): partial tiles in rows and columns, k across packing blocks, both transpositions,
/// padded strides, alpha, beta and a row bias, and several threads; the GEMV and the Swift `gemm`
/// wrapper (which adds the bias itself where the kernel does not, on the process's instruction
/// set) alike.
final class NativeGemmTests: XCTestCase {
    struct Case { var ta: Bool, tb: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float, pad: Int, bias: Bool }

    enum Path { case gemm, packed, gemv, wrapper }

    /// Largest |got - want| over C in units of the float32 bound for a k-term sum,
    /// (k + 2) eps (|alpha| sum_p |a_ip b_pj| + |beta c_ij| + |bias_j|): above 1 is wrong.
    func worstError(_ c: Case, isa: InstructionSet, threads: Int, path: Path, seed: UInt64) -> Float {
        let code = isa.kernelCode
        var g = SeededGenerator(seed: seed)
        let (ar, ac) = c.ta ? (c.k, c.m) : (c.m, c.k)
        let (br, bc) = c.tb ? (c.n, c.k) : (c.k, c.n)
        let lda = ac + c.pad, ldb = bc + c.pad, ldc = c.n + c.pad
        let a = (0..<(ar * lda)).map { _ in Float.random(in: -1...1, using: &g) }
        let b = (0..<(br * ldb)).map { _ in Float.random(in: -1...1, using: &g) }
        let c0 = (0..<(c.m * ldc)).map { _ in Float.random(in: -1...1, using: &g) }
        let bias = (0..<c.n).map { _ in Float.random(in: -1...1, using: &g) }
        // beta = 0 must not read C: fill it with NaN then.
        var got = c.beta == 0 ? [Float](repeating: .nan, count: c0.count) : c0
        got.withUnsafeMutableBufferPointer { cp in
            bias.withUnsafeBufferPointer { bp in
                let biasPointer = c.bias ? bp.baseAddress : nil
                switch path {
                case .gemv:
                    // One row of A: with ta it is a column of the stored (k, m) matrix, stride lda.
                    precondition(c.m == 1 && !c.bias)
                    st_gemv(
                        code, c.tb ? 1 : 0, c.n, c.k, c.alpha, a, c.ta ? lda : 1, b, ldb, c.beta, cp.baseAddress!,
                        Int32(threads))
                case .packed:
                    precondition(!c.ta)
                    var buffer = [Float](repeating: 0, count: Int(st_gemm_packed_b_count(code, c.k, c.n)) + 16)
                    buffer.withUnsafeMutableBufferPointer { bp in
                        // The kernel reads packed B with aligned loads.
                        let raw = UnsafeMutableRawPointer(bp.baseAddress!)
                        let aligned = raw.alignedUp(toMultipleOf: 64).assumingMemoryBound(to: Float.self)
                        st_gemm_pack_b(code, c.tb ? 1 : 0, c.k, c.n, b, ldb, aligned, Int32(threads))
                        st_gemm_packed(
                            code, 0, c.m, c.n, c.k, c.alpha, a, lda, aligned, c.beta, biasPointer, cp.baseAddress!, ldc,
                            Int32(threads))
                    }
                case .gemm:
                    st_gemm(
                        code, c.ta ? 1 : 0, c.tb ? 1 : 0, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta,
                        biasPointer, cp.baseAddress!, ldc, Int32(threads))
                case .wrapper:
                    BLASThreads.set(threads)
                    gemm(
                        transposeA: c.ta, transposeB: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a, lda: lda, b,
                        ldb: ldb,
                        beta: c.beta, bias: biasPointer, cp.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst: Float = 0
        for i in 0..<c.m {
            for j in 0..<c.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<c.k {
                    let x = c.ta ? a[p * lda + i] : a[i * lda + p]
                    let y = c.tb ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                    magnitude += abs(Double(x) * Double(y))
                }
                let b = c.bias ? Double(bias[j]) : 0
                let want = Double(c.alpha) * sum + Double(c.beta) * Double(c0[i * ldc + j]) + b
                let bound =
                    Double(c.k + 2) * Double(Float.ulpOfOne)
                    * (abs(Double(c.alpha)) * magnitude + abs(Double(c.beta) * Double(c0[i * ldc + j])) + abs(b))
                worst = max(worst, Float(abs(Double(got[i * ldc + j]) - want) / max(bound, 1e-30)))
            }
            // Padding columns of C stay as they were.
            for j in c.n..<ldc where c.beta != 0 { XCTAssertEqual(got[i * ldc + j], c0[i * ldc + j]) }
        }
        return worst
    }

    func testAVX2AgainstReference() throws {
        try XCTSkipUnless(InstructionSet.supported.contains(.avx2), "this CPU has no AVX2")
        try checkAgainstReference(.avx2)
    }

    func testAVX512AgainstReference() throws {
        try XCTSkipUnless(InstructionSet.supported.contains(.avx512), "this CPU has no AVX-512")
        try checkAgainstReference(.avx512)
    }

    func checkAgainstReference(_ isa: InstructionSet) throws {
        let shapes: [(Int, Int, Int)] = [
            (1, 1, 1), (3, 5, 7), (8, 32, 1), (9, 33, 17), (16, 1024, 256), (6, 16, 3), (13, 47, 300),
            (32, 100, 300), (130, 70, 513), (257, 31, 64), (7, 200, 2), (5, 9, 0), (121, 17, 40),
        ]
        let threadsBefore = BLASThreads.current
        defer { BLASThreads.set(threadsBefore) }
        var seed: UInt64 = 1
        for (m, n, k) in shapes {
            for ta in [false, true] {
                for tb in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                        for threads in [1, 2, 3] {
                            let c = Case(
                                ta: ta, tb: tb, m: m, n: n, k: k, alpha: alpha, beta: beta, pad: (m + n) % 3,
                                bias: seed % 2 == 0)
                            seed += 1
                            for path in [Path.gemm, .packed, .gemv, .wrapper] {
                                // The kernels take k >= 1 (the wrapper handles k = 0) and one layout
                                // of A when packed.
                                if (path == .packed && ta) || (path != .wrapper && k == 0) { continue }
                                if path == .wrapper && isa != InstructionSet.current { continue }
                                var c = c
                                if path == .gemv {
                                    c.m = 1
                                    c.k = c.k * 3 + 5
                                    c.bias = false
                                }
                                let e = worstError(c, isa: isa, threads: threads, path: path, seed: seed)
                                XCTAssertLessThan(e, 1, "\(isa) \(path) \(c) threads \(threads)")
                            }
                        }
                    }
                }
            }
        }
    }

    func testParallelForEachRunsEveryPartOnce() {
        for count in [1, 2, 5] {
            var hits = [Int](repeating: 0, count: count)
            var seenParts = Set<Int>()
            hits.withUnsafeMutableBufferPointer { h in
                for _ in 0..<100 {
                    var parts = [Int](repeating: 0, count: count)
                    parts.withUnsafeMutableBufferPointer { p in
                        Parallel.forEach(count, sharing: (h, p)) { shared, part, parts in
                            shared.0[part] += 1
                            shared.1[part] = parts
                        }
                    }
                    seenParts.insert(parts[0])
                }
            }
            // Every part that ran, ran once per call, and the parts are a prefix of 0..<count.
            XCTAssertEqual(seenParts.count, 1)
            let parts = seenParts.first!
            XCTAssertTrue(parts >= 1 && parts <= count)
            XCTAssertEqual(hits, [Int](repeating: 100, count: parts) + [Int](repeating: 0, count: count - parts))
        }
        XCTAssertEqual((0..<3).map { Parallel.range(of: 10, part: $0, of: 3) }, [0..<4, 4..<7, 7..<10])
    }

    /// A forEach inside a forEach body runs as one part on that thread (the pool is busy with the
    /// outer task), and a part waiting on a signal sees what the posting part wrote before it.
    func testNestedForEachAndSignals() {
        var inner = [Int](repeating: -1, count: 2), shared = [Int](repeating: 0, count: 2)
        var seen = [Int](repeating: 0, count: 200)
        var seenCount = 0
        let signal = st_signal_create()!
        defer { st_signal_destroy(signal) }
        inner.withUnsafeMutableBufferPointer { inner in
            shared.withUnsafeMutableBufferPointer { shared in
                seen.withUnsafeMutableBufferPointer { seen in
                    withUnsafeMutablePointer(to: &seenCount) { seenCount in
                        Parallel.forEach(2, sharing: (inner, shared, seen, seenCount, signal)) { buffers, part, parts in
                            let (inner, shared, seen, seenCount, signal) = buffers
                            Parallel.forEach(2, sharing: inner) { inner, _, innerParts in inner[part] = innerParts }
                            guard parts == 2 else { return }
                            for round in 1...200 {
                                if part == 1 {
                                    shared[0] = round
                                    st_signal_post(signal, round)
                                } else {
                                    st_signal_wait(signal, round)
                                    seen[seenCount.pointee] = shared[0]
                                    seenCount.pointee += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        seen = Array(seen.prefix(seenCount))
        XCTAssertEqual(inner[0], 1)
        if !seen.isEmpty { XCTAssertEqual(seen.count, 200) }
        // Each wait returns once round r is posted, so the value read is r or a later one.
        for (r, value) in seen.enumerated() { XCTAssertGreaterThanOrEqual(value, r + 1) }
    }
}
