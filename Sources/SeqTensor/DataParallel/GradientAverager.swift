import Dispatch

/// The one seam of data-parallel training: between the backward pass and clipping, every rank's
/// gradients are replaced by the gradient of the whole batch.
///
/// Rank r computed g_r, the gradient of the mean loss over its n_r of the batch's n items. The
/// batch's gradient is the weighted sum
///
///     g = sum_r (n_r / n) g_r
///
/// (the plain mean 1/N sum_r g_r when the shares are equal, as DDP and Horovod average). All of it
/// travels in one allreduce over one contiguous buffer: every gradient, a has-gradient flag per
/// parameter (a parameter no rank touched keeps no gradient, as in one process) and the loss, so
/// the loss reported is the batch's too. Clipping then sees the same gradient on every rank, and
/// every rank applies the same update.
public final class GradientAverager {
    /// The ranks that share each batch.
    public let group: any ProcessGroup
    private var buffer: [Float] = []
    /// Seconds spent in the gradients' allreduce so far (waiting for slower ranks included), and
    /// the allreduces: the cost of data parallelism, reported by the trainers.
    public private(set) var allReduceSeconds = 0.0, allReduceCount = 0

    /// An averager over `group`.
    public init(group: any ProcessGroup) { self.group = group }

    /// Replaces each parameter's gradient by the share-weighted sum over the ranks, and returns the
    /// share-weighted sum of `loss` (the batch's mean loss). `share` is this rank's n_r / n.
    /// The identity on a group of one.
    public func average(_ parameters: [Parameter], loss: Float, share: Float) -> Float {
        guard group.size > 1 else { return loss }
        // [gradients..., a has-gradient flag per parameter, the loss]
        let flags = parameters.reduce(0) { $0 + $1.value.count }, total = flags + parameters.count + 1
        if buffer.count != total { buffer = [Float](repeating: 0, count: total) }
        return buffer.withUnsafeMutableBufferPointer { b in
            var offset = 0
            for p in parameters {
                let n = p.value.count
                if let g = p.grad {
                    let gp = g.pointer
                    for i in 0..<n { b[offset + i] = gp[i] * share }
                } else {
                    (b.baseAddress! + offset).update(repeating: 0, count: n)
                }
                offset += n
            }
            for (k, p) in parameters.enumerated() { b[flags + k] = p.grad == nil ? 0 : 1 }
            b[total - 1] = loss * share
            let start = DispatchTime.now().uptimeNanoseconds
            group.allReduce(b, .sum)
            allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            allReduceCount += 1
            offset = 0
            for (k, p) in parameters.enumerated() {
                let n = p.value.count
                if b[flags + k] > 0 {
                    p.gradPointer().update(from: b.baseAddress! + offset, count: n)
                } else {
                    p.zeroGrad()
                }
                offset += n
            }
            return b[total - 1]
        }
    }

    /// Replaces each of `tensors` (state that is not trained by gradients, such as batch norm's
    /// running statistics) by its share-weighted sum over the ranks, keeping them identical.
    public func average(_ tensors: [Variable], share: Float) {
        guard group.size > 1 else { return }
        var values = tensors.flatMap { t in (0..<t.value.count).map { t.value.pointer[$0] * share } }
        values.withUnsafeMutableBufferPointer { group.allReduce($0, .sum) }
        var offset = 0
        for t in tensors {
            let n = t.value.count
            values.withUnsafeBufferPointer { t.value.mutablePointer.update(from: $0.baseAddress! + offset, count: n) }
            offset += n
        }
    }
}
