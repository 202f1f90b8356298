import SeqTensor

/// Finite-difference check of analytic gradients: for a scalar function of some leaves,
/// compares backward's gradient with the central difference (f(x+h) - f(x-h)) / 2h at every
/// element of every leaf. Float32 rounding limits the agreement, so the check takes the worst
/// |analytic - numeric| / max(|numeric|, floor) over all elements.
public enum GradientCheck {
    public struct Report {
        /// Worst mismatch relative to max(|numeric|, floor).
        public let worstError: Float
        /// Where it is: leaf index and element.
        public let worstLeaf: Int, worstElement: Int
        public let analytic: Float, numeric: Float
    }

    /// `f` builds the scalar from the leaves (it is called many times: keep it deterministic).
    public static func check(
        _ leaves: [Variable], step h: Float = 1e-2, floor: Float = 1e-1,
        _ f: () -> Variable
    ) -> Report {
        for l in leaves { l.zeroGrad() }
        f().backward()
        let analytic = leaves.map { $0.grad ?? Tensor(zeros: $0.shape) }
        var worst = Report(worstError: 0, worstLeaf: -1, worstElement: -1, analytic: 0, numeric: 0)
        Graph.withoutRecording {
            for (li, leaf) in leaves.enumerated() {
                for i in 0..<leaf.value.count {
                    let x = leaf.value.pointer[i]
                    leaf.value.mutablePointer[i] = x + h
                    let up = Double(f().value.item)
                    leaf.value.mutablePointer[i] = x - h
                    let down = Double(f().value.item)
                    leaf.value.mutablePointer[i] = x
                    let numeric = Float((up - down) / (2 * Double(h)))
                    let a = analytic[li].pointer[i]
                    let err = abs(a - numeric) / max(abs(numeric), floor)
                    if err > worst.worstError || err.isNaN {
                        worst = Report(
                            worstError: err.isNaN ? .infinity : err, worstLeaf: li, worstElement: i, analytic: a,
                            numeric: numeric)
                    }
                }
            }
        }
        for l in leaves { l.zeroGrad() }
        return worst
    }

    /// A fixed random weighting so that a tensor output becomes a scalar with a generic gradient.
    public static func weightedSum(_ y: Variable, seed: UInt64 = 7) -> Variable {
        var g = SeededGenerator(seed: seed)
        return (y * Variable(Tensor(uniform: y.shape, low: -1, high: 1, generator: &g))).sum()
    }
}
