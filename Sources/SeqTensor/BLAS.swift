import COpenBLAS

/// The one entry point to matrix multiplication: C = alpha * op(A) * op(B) + beta * C on
/// row-major matrices, handed straight to OpenBLAS's `cblas_sgemm` (no copy, no conversion).
/// A single-row product (m = 1: one sequence stepping, as in sampling) goes to `cblas_sgemv`,
/// which streams the matrix once instead of packing it for a GEMM kernel.
///
/// op(A) is (m, k), op(B) is (k, n), C is (m, n). `lda`, `ldb`, `ldc` are the row strides of the
/// matrices as stored; they default to the packed strides. `beta = 1` accumulates into C.
@inline(__always)
public func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int? = nil,
    _ b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        // BLAS leaves C * beta; spell it out so beta = 0 also clears uninitialised memory.
        for i in 0..<m {
            for j in 0..<n { c[i * (ldc ?? n) + j] = beta == 0 ? 0 : c[i * (ldc ?? n) + j] * beta }
        }
        return
    }
    if m == 1 {
        // c = alpha * op(B)^T-as-matrix * a: with B stored (n, k) that is B a; stored (k, n), B^T a.
        let incA = Int32(transposeA ? (lda ?? 1) : 1)
        cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans,
                    Int32(transposeB ? n : k), Int32(transposeB ? k : n), alpha,
                    b, Int32(ldb ?? (transposeB ? k : n)), a, incA, beta, c, 1)
        return
    }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha,
        a, Int32(lda ?? (transposeA ? m : k)),
        b, Int32(ldb ?? (transposeB ? k : n)),
        beta,
        c, Int32(ldc ?? n)
    )
}

/// OpenBLAS's worker threads for every later GEMM.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses (at least 1).
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    /// The number of threads OpenBLAS uses now.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
