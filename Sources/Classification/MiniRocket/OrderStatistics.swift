/// Order statistics without a full sort: quickselect (Hoare 1961) that partitions around a
/// median-of-three pivot into less, equal and greater (so runs of equal values, such as a
/// convolution's zero-padded ends, cost nothing) and recurses only into the parts that hold a
/// wanted position, as numpy's `partition` does for `quantile`. Small parts and parts that keep
/// partitioning badly are sorted outright.
enum OrderStatistics {
    /// Rearranges `values` so that every index in `positions` (ascending, distinct) holds the value
    /// a sort would put there.
    static func select(_ values: UnsafeMutableBufferPointer<Float>, at positions: [Int]) {
        guard let base = values.baseAddress, values.count > 1, !positions.isEmpty else { return }
        precondition(positions.first! >= 0 && positions.last! < values.count, "OrderStatistics: positions")
        var depth = 0, n = values.count
        while n > 1 {
            depth += 2
            n /= 2
        }
        positions.withUnsafeBufferPointer { select(base, 0, values.count, $0[...], depth: depth) }
    }

    /// Selects `wanted` (all in lo..<hi) within values[lo..<hi].
    private static func select(
        _ v: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int, _ wanted: Slice<UnsafeBufferPointer<Int>>, depth: Int
    ) {
        if wanted.isEmpty || hi - lo <= 1 { return }
        if hi - lo <= 16 || depth == 0 {
            var part = UnsafeMutableBufferPointer(start: v + lo, count: hi - lo)
            part.sort()
            return
        }
        // Median of three as the pivot.
        let mid = lo + (hi - lo) / 2
        let (a, b, c) = (v[lo], v[mid], v[hi - 1])
        let pivot = max(min(a, b), min(max(a, b), c))
        // Dijkstra's three-way partition: [lo, less) < pivot, [less, i) == pivot, (greater, hi) > pivot.
        var less = lo, i = lo, greater = hi - 1
        while i <= greater {
            let x = v[i]
            if x < pivot {
                v.swapAt(less, i)
                less += 1
                i += 1
            } else if x > pivot {
                v.swapAt(i, greater)
                greater -= 1
            } else {
                i += 1
            }
        }
        let left = wanted.prefix { $0 < less }, right = wanted.drop { $0 <= greater }
        select(v, lo, less, left, depth: depth - 1)
        select(v, greater + 1, hi, right, depth: depth - 1)
    }
}

extension UnsafeMutablePointer {
    /// Swaps the values at offsets i and j.
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
