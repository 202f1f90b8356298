import COpenBLAS

/// Double-precision dense linear algebra on OpenBLAS and the LAPACK it bundles, for closed-form
/// fits where float32 would lose what matters: ridge regression's leave-one-out shortcut divides by
/// eigenvalues plus a penalty as small as 0.001, next to a Gram matrix whose entries are thousands.
/// Matrices are row-major buffers of `Double`; sizes are in the argument names. Products run on the
/// threads `BLASThreads` sets.
public enum DoubleLinearAlgebra {
    /// C (m, n) = op(A) op(B) + beta C, with op(A) (m, k) and op(B) (k, n) as stored (`cblas_dgemm`).
    public static func multiply(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, beta: Double = 0, _ c: UnsafeMutablePointer<Double>
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c,
            Int32(n))
    }

    /// The Gram matrix of A (rows, columns): G = A A^T (rows, rows), or with `transposed`
    /// G = A^T A (columns, columns). Both triangles are filled (`cblas_dsyrk`, then mirrored).
    public static func gram(
        _ a: UnsafePointer<Double>, rows: Int, columns: Int, transposed: Bool = false,
        into g: UnsafeMutablePointer<Double>
    ) {
        let n = transposed ? columns : rows, k = transposed ? rows : columns
        if n == 0 { return }
        if k == 0 {
            g.update(repeating: 0, count: n * n)
            return
        }
        cblas_dsyrk(
            CblasRowMajor, CblasUpper, transposed ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), 1, a,
            Int32(columns), 0, g, Int32(n))
        for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
    }

    /// LAPACK found no eigendecomposition (`info` as `dsyevd` returns it).
    public struct EigenError: Error, CustomStringConvertible {
        /// The LAPACK routine's `info`: negative, an argument was illegal; positive, no convergence.
        public let info: Int
        public var description: String {
            "the symmetric eigendecomposition failed to converge (LAPACK dsyevd info \(info))"
        }
    }

    /// The eigenvalues of the symmetric (n, n) `matrix`, ascending, and its eigenvectors: on return
    /// row j of `matrix` is the unit eigenvector of eigenvalue j, so that matrix = Q^T diag(w) Q with
    /// Q the returned rows. LAPACK's divide-and-conquer `dsyevd` (a symmetric matrix is its own
    /// column-major transpose; its column-major eigenvectors are our rows).
    public static func symmetricEigen(_ matrix: UnsafeMutablePointer<Double>, n: Int) throws -> [Double] {
        precondition(n >= 0 && n < Int(Int32.max), "symmetricEigen: size \(n) out of range")
        if n == 0 { return [] }
        var eigenvalues = [Double](repeating: 0, count: n)
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        var lworkQuery: Int32 = -1, liworkQuery: Int32 = -1, workSize = 0.0, iworkSize: Int32 = 0
        let (jobz, uplo): (CChar, CChar) = (86, 85)  // "V": vectors too; "U": the upper triangle
        withUnsafePointer(to: jobz) { jobz in
            withUnsafePointer(to: uplo) { uplo in
                dsyevd_(
                    jobz, uplo, &size, matrix, &lda, &eigenvalues, &workSize, &lworkQuery, &iworkSize, &liworkQuery,
                    &info, 1, 1)
            }
        }
        guard info == 0 else { throw EigenError(info: Int(info)) }
        var lwork = Int32(workSize.rounded(.up)), liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        withUnsafePointer(to: jobz) { jobz in
            withUnsafePointer(to: uplo) { uplo in
                dsyevd_(jobz, uplo, &size, matrix, &lda, &eigenvalues, &work, &lwork, &iwork, &liwork, &info, 1, 1)
            }
        }
        guard info == 0 else { throw EigenError(info: Int(info)) }
        return eigenvalues
    }
}
