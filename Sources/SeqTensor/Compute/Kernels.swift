import CKernels

/// Small loops over raw buffers that several operations share. Shapes are in the argument names.
public enum Kernels {
    /// into[j] += sum over rows r of m[r, j], m (rows, columns) row-major.
    @inlinable
    public static func addColumnSums(
        _ m: UnsafePointer<Float>, rows: Int, columns: Int, into: UnsafeMutablePointer<Float>
    ) {
        // Threads take disjoint column ranges (a bias gradient over T*B rows is megabytes).
        Parallel.forEach(Parallel.elementThreads(rows * columns), sharing: (m, into)) { shared, part, parts in
            let (m, into) = shared
            let range = Parallel.range(of: columns, part: part, of: parts)
            for r in 0..<rows {
                let row = m + r * columns
                for j in range { into[j] += row[j] }
            }
        }
    }

    /// into[indices[r], j] += m[r, j] for every row r of m (indices.count, columns), except rows
    /// whose index is `skipping`: the backward of a row lookup. Threads take disjoint column
    /// ranges, so no two write the same float.
    public static func addRows(
        _ m: UnsafePointer<Float>, at indices: [Int], columns: Int,
        into: UnsafeMutablePointer<Float>, skipping: Int? = nil
    ) {
        Parallel.forEach(Parallel.elementThreads(indices.count * columns), sharing: (m, into)) { shared, part, parts in
            let (m, into) = shared
            let range = Parallel.range(of: columns, part: part, of: parts)
            for (r, i) in indices.enumerated() where i != skipping {
                let row = into + i * columns, src = m + r * columns
                for j in range { row[j] += src[j] }
            }
        }
    }

    /// Row r of m (rows, columns) added into row `indices[r]` of `into`, or, without `indices`,
    /// every row into `into` (column sums): `addRows` or `addColumnSums`.
    public static func addRowSums(
        _ m: UnsafePointer<Float>, rows: Int, columns: Int, into: UnsafeMutablePointer<Float>, at indices: [Int]?
    ) {
        if let indices {
            addRows(m, at: indices, columns: columns, into: into)
        } else {
            addColumnSums(m, rows: rows, columns: columns, into: into)
        }
    }

    /// Index of the largest of `count` values (the first one on ties): greedy decoding, predicted class.
    @inlinable
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for i in 1..<max(count, 1) where x[i] > x[best] { best = i }
        return best
    }

    /// Mean and standard deviation (population, accumulated in double) of `values`, for
    /// standardising inputs as (x - mean) / std; a constant input gets std 1.
    public static func standardisation(_ values: [Float]) -> (mean: Float, std: Float) {
        guard !values.isEmpty else { return (0, 1) }
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (Float(mean), variance > 0 ? Float(variance.squareRoot()) : 1)
    }

    /// Sum of squares, accumulated in double so a norm over millions of values stays exact to float.
    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double { dot(x, x, count: count) }

    /// dst (columns, rows) = src (rows, columns)^T, or dst += it `adding`: dst[c * dstStride + r]
    /// (+)= src[r * srcStride + c]. In 8 x 8 blocks in AVX registers where the CPU has them
    /// (`CKernels`' st_transpose); copies and additions only, so the bits are the same everywhere.
    public static func transpose(
        _ src: UnsafePointer<Float>, rows: Int, columns: Int, srcStride: Int? = nil,
        into dst: UnsafeMutablePointer<Float>, dstStride: Int? = nil, adding: Bool = false
    ) {
        st_transpose(
            InstructionSet.current.kernelCode, src, rows, columns, srcStride ?? columns, dst, dstStride ?? rows,
            adding ? 1 : 0)
    }

    /// Sum of `count` floats, accumulated in double (eight lanes, then across them).
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var lanes = SIMD8<Double>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            lanes += SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        var s = lanes.sum()
        while i < count {
            s += Double(x[i])
            i += 1
        }
        return s
    }

    /// Sum of (x - mean)^2 over `count` floats, in double: the second pass of a variance.
    @inlinable
    public static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, from mean: Double) -> Double {
        var lanes = SIMD8<Double>(repeating: 0)
        let m = SIMD8<Double>(repeating: mean)
        var i = 0
        while i + 8 <= count {
            let d = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)) - m
            lanes += d * d
            i += 8
        }
        var s = lanes.sum()
        while i < count {
            s += (Double(x[i]) - mean) * (Double(x[i]) - mean)
            i += 1
        }
        return s
    }

    /// Sum of x[i] y[i] over `count` floats, in double.
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        var lanes = SIMD8<Double>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            lanes +=
                SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
                * SIMD8<Double>(UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        var s = lanes.sum()
        while i < count {
            s += Double(x[i]) * Double(y[i])
            i += 1
        }
        return s
    }

    /// Row-wise softmax of x (rows, columns) into y; y may alias x. Max-subtracted, so logits of
    /// any size are safe.
    @inlinable
    public static func softmaxRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int)
    {
        for r in 0..<rows {
            let yr = y + r * columns
            let inv = 1 / shiftedExp(x + r * columns, columns: columns, scratch: yr).sum
            for j in 0..<columns { yr[j] *= inv }
        }
    }

    /// For one row x of `columns` logits: scratch[j] = exp(x[j] - max x), and returns the max
    /// and the sum of scratch, so log-sum-exp = max + log(sum) and softmax = scratch / sum.
    @inlinable
    public static func shiftedExp(_ xr: UnsafePointer<Float>, columns: Int, scratch: UnsafeMutablePointer<Float>) -> (
        max: Float, sum: Float
    ) {
        var mx = -Float.infinity
        for j in 0..<columns { mx = max(mx, xr[j]) }
        if mx == -.infinity { mx = 0 }
        VectorMath.exp(xr, minus: mx, into: scratch, count: columns)
        var s: Float = 0
        for j in 0..<columns { s += scratch[j] }
        return (mx, s)
    }

    /// Log-sum-exp of one row of `columns` logits; `scratch` holds at least `columns` floats.
    @inlinable
    public static func logSumExp(_ xr: UnsafePointer<Float>, columns: Int, scratch: UnsafeMutablePointer<Float>)
        -> Float
    {
        let (mx, s) = shiftedExp(xr, columns: columns, scratch: scratch)
        return mx + VectorMath.log(s)
    }
}
