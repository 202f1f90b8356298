import CKernels
import Foundation

/// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter) with PyTorch's exact arithmetic:
///
///     AdamW only: p *= 1 - lr wd            (decoupled decay)
///     Adam only:  g = grad + wd p           (coupled L2, when wd != 0)
///     m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2 ;  (amsgrad: vmax = max(vmax, v))
///     p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
public final class Adam: Optimizer {
    /// The parameters this optimizer updates.
    public let parameters: [Parameter]
    /// The step size; a schedule may change it between steps.
    public var learningRate: Float
    /// The moment decay rates, the denominator's epsilon and the weight decay.
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// AdamW's decay (of the weights, not through the gradient), and AMSGrad's maximum of
    /// the second moments.
    public let decoupledWeightDecay: Bool, amsgrad: Bool
    /// Steps taken (the bias corrections' t).
    public private(set) var stepCount = 0
    let firstMoments: Slots, secondMoments: Slots, maxSecondMoments: Slots

    /// Adam; `decoupledWeightDecay: true` makes it AdamW (see `AdamW(...)`).
    public init(
        _ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false, amsgrad: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.amsgrad = amsgrad
        firstMoments = Slots("exp_avg", count: parameters.count)
        secondMoments = Slots("exp_avg_sq", count: parameters.count)
        maxSecondMoments = Slots("max_exp_avg_sq", count: parameters.count)
    }

    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let constants = st_adam_constants(
            decay: decoupledWeightDecay ? 1 - learningRate * weightDecay : 1,
            l2: decoupledWeightDecay ? 0 : weightDecay,
            beta1: beta1, beta2: beta2, step_size: Float(Double(learningRate) / (1 - pow(Double(beta1), t))),
            correction2_sqrt: Float((1 - pow(Double(beta2), t)).squareRoot()), epsilon: epsilon)
        // Resolve every buffer first (slots are created on first use), then update element
        // ranges on all threads: each element's update is independent of the others.
        var work: [Moments] = []
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            work.append(
                Moments(
                    count: p.value.count, grad: grad.pointer, weights: p.value.mutablePointer,
                    first: firstMoments.pointer(i, shape: p.shape), second: secondMoments.pointer(i, shape: p.shape),
                    maxSecond: amsgrad ? maxSecondMoments.pointer(i, shape: p.shape) : nil))
        }
        let total = work.reduce(0) { $0 + $1.count }
        let isa = InstructionSet.current
        Parallel.forEach(Parallel.elementThreads(total), sharing: work) { work, part, parts in
            for moments in work {
                Self.update(moments, Parallel.range(of: moments.count, part: part, of: parts), constants, isa: isa)
            }
        }
    }

    /// One parameter's buffers: its gradient, weights and moments (`count` floats each).
    struct Moments {
        let count: Int
        let grad: UnsafePointer<Float>, weights: UnsafeMutablePointer<Float>
        let first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>
        let maxSecond: UnsafeMutablePointer<Float>?
    }

    /// The update of elements `range` of one parameter, with the C kernel of `isa` (8 or 16 lanes)
    /// or, on the portable path and for AMSGrad, in Swift: the same operations in the same order.
    static func update(_ moments: Moments, _ range: Range<Int>, _ k: st_adam_constants, isa: InstructionSet) {
        let (gp, w, m, v, vmax) = (moments.grad, moments.weights, moments.first, moments.second, moments.maxSecond)
        let (decay, l2, beta1, beta2, stepSize) = (k.decay, k.l2, k.beta1, k.beta2, k.step_size)
        let (correction2Sqrt, epsilon) = (k.correction2_sqrt, k.epsilon)
        var j = range.lowerBound
        if vmax == nil && isa != .portable {
            withUnsafePointer(to: k) { st_adam_update(isa.kernelCode, range.count, w + j, gp + j, m + j, v + j, $0) }
            return
        }
        if vmax == nil {
            // Sixteen lanes at a time, the same operations in the same order as below.
            while j + 16 <= range.upperBound {
                let wv = UnsafeRawPointer(w + j).loadUnaligned(as: SIMD16<Float>.self) * decay
                let g = UnsafeRawPointer(gp + j).loadUnaligned(as: SIMD16<Float>.self) + l2 * wv
                var mv = UnsafeRawPointer(m + j).loadUnaligned(as: SIMD16<Float>.self)
                mv += (1 - beta1) * (g - mv)
                let vv = beta2 * UnsafeRawPointer(v + j).loadUnaligned(as: SIMD16<Float>.self) + (1 - beta2) * g * g
                let updated = wv - stepSize * mv / (vv.squareRoot() / correction2Sqrt + epsilon)
                UnsafeMutableRawPointer(m + j).storeBytes(of: mv, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(v + j).storeBytes(of: vv, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(w + j).storeBytes(of: updated, as: SIMD16<Float>.self)
                j += 16
            }
        }
        while j < range.upperBound {
            w[j] *= decay
            let g = gp[j] + l2 * w[j]
            m[j] += (1 - beta1) * (g - m[j])
            v[j] = beta2 * v[j] + (1 - beta2) * g * g
            var second = v[j]
            if let vmax {
                vmax[j] = max(vmax[j], v[j])
                second = vmax[j]
            }
            w[j] -= stepSize * m[j] / (second.squareRoot() / correction2Sqrt + epsilon)
            j += 1
        }
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        firstMoments.save(into: &s)
        secondMoments.save(into: &s)
        maxSecondMoments.save(into: &s)
        saveStep(stepCount, into: &s)
        return s
    }

    public func load(state: [String: Tensor]) throws {
        try firstMoments.load(state, parameters: parameters)
        try secondMoments.load(state, parameters: parameters)
        try maxSecondMoments.load(state, parameters: parameters)
        stepCount = loadStep(state)
    }
}

/// AdamW: Adam with decoupled weight decay (PyTorch default decay 0.01).
public func AdamW(
    _ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 0.01, amsgrad: Bool = false
) -> Adam {
    Adam(
        parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
        weightDecay: weightDecay, decoupledWeightDecay: true, amsgrad: amsgrad)
}
