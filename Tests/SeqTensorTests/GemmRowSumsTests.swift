import CKernels
import SeqTensor
import XCTest

/// `st_gemm_adding_a_rows` and its wrapper `gemm(transposedA:...addingRowsOfAInto:at:)`, which
/// add A's rows up while they pack it, against the product and the passes they replace
/// (`st_gemm` with A transposed, or the plain wrapper, then `Kernels.addColumnSums` or
/// `Kernels.addRows`): the same C and the same sums to the bit, on every instruction set the CPU
/// runs, with threads splitting the rows of C and with threads splitting its columns (where every
/// thread packs all of A and one must add it up), k across several packing blocks, rows that
/// repeat, and one row of C.
final class GemmRowSumsTests: XCTestCase {
    func testSumsAndProductMatchSeparatePasses() throws {
        let isas = InstructionSet.supported.filter { $0 != .portable }
        try XCTSkipIf(isas.isEmpty, "no native GEMM on this CPU")
        // (m, n, k): many rows of C (threads split rows), many columns (threads split slivers),
        // partial tiles, k over 256-wide blocks, and one row (which the wrapper runs as a GEMV).
        let shapes = [(1024, 64, 300), (40, 200, 517), (7, 33, 5), (130, 70, 1000), (2, 300, 64), (1, 40, 30)]
        let threadsBefore = BLASThreads.current
        defer { BLASThreads.set(threadsBefore) }
        var g = SeededGenerator(seed: 7)
        for isa in isas {
            for (m, n, k) in shapes {
                let a = (0..<(k * m)).map { _ in Float.random(in: -1...1, using: &g) }
                let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &g) }
                let c0 = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &g) }
                let tableRows = 5
                let ids = (0..<k).map { _ in Int.random(in: 0..<tableRows, using: &g) }
                let sums0 = (0..<(tableRows * m)).map { _ in Float.random(in: -1...1, using: &g) }
                for threads in [1, 2, 3] {
                    for byRow in [false, true] {
                        var (wantC, wantSums) = (c0, sums0)
                        st_gemm(isa.kernelCode, 1, 0, m, n, k, 1, a, m, b, n, 1, nil, &wantC, n, Int32(threads))
                        if byRow {
                            Kernels.addRows(a, at: ids, columns: m, into: &wantSums)
                        } else {
                            Kernels.addColumnSums(a, rows: k, columns: m, into: &wantSums)
                        }
                        var (gotC, gotSums) = (c0, sums0)
                        ids.withUnsafeBufferPointer { ids in
                            st_gemm_adding_a_rows(
                                isa.kernelCode, m, n, k, 1, a, m, b, n, 1, &gotC, n, &gotSums,
                                byRow ? ids.baseAddress : nil, Int32(threads))
                        }
                        let label = "\(isa) m \(m) n \(n) k \(k) threads \(threads) by row \(byRow)"
                        XCTAssertEqual(gotC, wantC, label)
                        XCTAssertEqual(gotSums, wantSums, label)
                        if isa == InstructionSet.current {
                            // The wrapper against the plain one and the passes (on this process's
                            // kernels, or OpenBLAS; a GEMV for one row).
                            BLASThreads.set(threads)
                            var plainC = c0
                            gemm(transposeA: true, m: m, n: n, k: k, a, b, beta: 1, &plainC)
                            var (wrappedC, wrappedSums) = (c0, sums0)
                            gemm(
                                transposedA: a, b, m: m, n: n, k: k, beta: 1, &wrappedC,
                                addingRowsOfAInto: &wrappedSums, at: byRow ? ids : nil)
                            XCTAssertEqual(wrappedC, plainC, label)
                            XCTAssertEqual(wrappedSums, wantSums, label)
                        }
                    }
                }
            }
        }
    }
}
