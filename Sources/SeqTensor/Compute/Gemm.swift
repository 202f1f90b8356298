import CKernels
import COpenBLAS
import Foundation
import Synchronization

/// The one entry point to matrix multiplication: C = alpha * op(A) * op(B) + beta * C (+ bias)
/// on row-major matrices. It runs the project's own GEMM where `GemmBackend` chooses it (`CKernels`,
/// AVX-512), and OpenBLAS's `cblas_sgemm` elsewhere. A single-row product
/// (m = 1: one sequence stepping, as in sampling) runs as a GEMV, which streams the matrix once
/// instead of packing it for a GEMM kernel.
///
/// op(A) is (m, k), op(B) is (k, n), C is (m, n). `lda`, `ldb`, `ldc` are the row strides of the
/// matrices as stored; they default to the packed strides. `beta = 1` accumulates into C.
/// `bias` (n values) is added to every row of C: the native kernel adds it as it stores C.
/// The native kernels run on up to `threads` threads (1 inside a `Parallel.forEach` body);
/// OpenBLAS keeps its own setting.
@inline(__always)
public func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int? = nil,
    _ b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0, bias: UnsafePointer<Float>? = nil,
    _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
    threads: Int = BLASThreads.current
) {
    if m == 0 || n == 0 { return }
    let ldc = ldc ?? n, lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n)
    let native = GemmBackend.current == .native
    var beta = beta
    let kernelAddsBias = native && m > 1
    if k == 0 || (bias != nil && !kernelAddsBias) {
        // C = beta C + bias here, then the product accumulates onto it. (BLAS leaves C * beta for
        // k = 0; spelt out so that beta = 0 also clears uninitialised memory.)
        for i in 0..<m {
            let row = c + i * ldc
            for j in 0..<n { row[j] = (beta == 0 ? 0 : beta * row[j]) + (bias?[j] ?? 0) }
        }
        if k == 0 { return }
        beta = 1
    }
    if m == 1 {
        // c = alpha * op(B)^T-as-matrix * a: with B stored (n, k) that is B a; stored (k, n), B^T a.
        let incA = transposeA ? lda : 1
        if native {
            st_gemv(
                InstructionSet.current.kernelCode, transposeB ? 1 : 0, n, k, alpha, a, incA, b, ldb, beta, c,
                Int32(threads))
            return
        }
        cblas_sgemv(
            CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans,
            Int32(transposeB ? n : k), Int32(transposeB ? k : n), alpha,
            b, Int32(ldb), a, Int32(incA), beta, c, 1)
        return
    }
    if native {
        st_gemm(
            InstructionSet.current.kernelCode, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb,
            beta, bias, c, ldc,
            Int32(threads))
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// C = A^T B + beta C for A stored (k, m) and B stored (k, n), both contiguous (a weight
/// gradient dG^T X summed over the k rows of a batch), on up to `threads` threads, which also
/// adds every row p of A, in order of p, into row `rows[p]` of `sums` (row 0 without `rows`; rows
/// of m floats) when `sums` is given: the bias gradient (the column sums of dG) or a token
/// table's (dG's rows by token id). The native GEMM adds each block of A as it packs it, while it
/// is in cache, instead of reading A again; every float of `sums` gets the same additions in the
/// same order as `Kernels.addRowSums` gives it, which is what runs on OpenBLAS.
public func gemm(
    transposedA a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, beta: Float = 0,
    _ c: UnsafeMutablePointer<Float>, addingRowsOfAInto sums: UnsafeMutablePointer<Float>?, at rows: [Int]? = nil,
    threads: Int = BLASThreads.current
) {
    precondition(rows.map { $0.count == k } ?? true, "gemm: \(rows?.count ?? 0) row indices for k = \(k)")
    // One row of C runs as a GEMV in `gemm`, whose C the fused product would not match bit for bit.
    guard let sums, GemmBackend.current == .native, m > 1, n > 0, k > 0 else {
        gemm(transposeA: true, m: m, n: n, k: k, a, b, beta: beta, c, threads: threads)
        if let sums { Kernels.addRowSums(a, rows: k, columns: m, into: sums, at: rows) }
        return
    }
    let isa = InstructionSet.current.kernelCode
    if let rows {
        rows.withUnsafeBufferPointer { rows in
            st_gemm_adding_a_rows(isa, m, n, k, 1, a, m, b, n, beta, c, n, sums, rows.baseAddress, Int32(threads))
        }
    } else {
        st_gemm_adding_a_rows(isa, m, n, k, 1, a, m, b, n, beta, c, n, sums, nil, Int32(threads))
    }
}

/// The threads every later GEMM runs on, OpenBLAS's and the native backend's alike.
public enum BLASThreads {
    /// Sets the number of threads matrix products use (at least 1).
    public static func set(_ count: Int) {
        setting.store(max(1, count), ordering: .relaxed)
        giveOpenBLAS(max(1, count))
    }

    /// The number of threads matrix products use now (OpenBLAS's default until `set`).
    public static var current: Int { setting.load(ordering: .relaxed) }

    private static let setting: Atomic<Int> = {
        let count = Int(openblas_get_num_threads())
        giveOpenBLAS(count)
        return Atomic(count)
    }()

    /// With the native backend OpenBLAS keeps one thread: its idle workers spin and would take
    /// the cores from the pool's.
    private static func giveOpenBLAS(_ count: Int) {
        openblas_set_num_threads(GemmBackend.current == .native ? 1 : Int32(count))
    }
}

/// Which implementation `gemm` runs for products of more than one row.
///
/// `native` is the project's GEMM (`CKernels/GemmDriver.h` and its kernels), chosen when
/// `InstructionSet.current` has one (AVX2 or AVX-512): Debian's OpenBLAS picks AVX2 kernels on
/// AVX-512 machines (or is told to, with `OPENBLAS_CORETYPE`), which leaves half of each FMA unit
/// idle, and on every machine it packs W_hh again at every step of a sequence and adds the bias in a
/// pass of its own.
/// `SEQTOOL_GEMM=openblas` in the environment forces OpenBLAS, for comparison.
public enum GemmBackend: String, Sendable {
    case native
    case openblas

    /// The backend in use, fixed at first use.
    public static let current: GemmBackend = {
        if ProcessInfo.processInfo.environment["SEQTOOL_GEMM"]?.lowercased() == "openblas" { return .openblas }
        return InstructionSet.current == .portable ? .openblas : .native
    }()
}

/// A right-hand matrix op(B) (k, n) packed once for many products `A op(B)`: a recurrent
/// layer's W_hh multiplies the state at every step of a sequence.
public struct PackedMatrix {
    /// op(B) as the native kernel reads it; nil when `gemm` runs on OpenBLAS.
    private let packed: Tensor?
    private let source: UnsafePointer<Float>
    private let transposed: Bool
    private let k: Int, n: Int

    /// Packs op(B) (k, n) from `b` (stored (k, n), or (n, k) when `transposed`). `b` must stay
    /// alive and unchanged while this value is used.
    public init(transposed: Bool, k: Int, n: Int, _ b: UnsafePointer<Float>) {
        self.source = b
        self.transposed = transposed
        self.k = k
        self.n = n
        if GemmBackend.current == .native && k > 0 && n > 0 {
            let isa = InstructionSet.current.kernelCode
            var buffer = Tensor(uninitialized: [Int(st_gemm_packed_b_count(isa, k, n))])
            st_gemm_pack_b(
                isa, transposed ? 1 : 0, k, n, b, transposed ? k : n, buffer.mutablePointer,
                Int32(BLASThreads.current))
            packed = buffer
        } else {
            packed = nil
        }
    }

    /// C = alpha A op(B) + beta C (+ bias on every row) for A (m, k) with row stride `lda`, C
    /// (m, n) packed, on up to `threads` threads (1 inside a `Parallel.forEach` body).
    public func multiply(
        m: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int? = nil,
        beta: Float = 0, bias: UnsafePointer<Float>? = nil, _ c: UnsafeMutablePointer<Float>,
        threads: Int = BLASThreads.current
    ) {
        guard let packed else {
            gemm(transposeB: transposed, m: m, n: n, k: k, alpha: alpha, a, lda: lda, source, beta: beta, bias: bias, c)
            return
        }
        st_gemm_packed(
            InstructionSet.current.kernelCode, 0, m, n, k, alpha, a, lda ?? k, packed.pointer, beta, bias, c, n,
            Int32(threads))
    }
}
