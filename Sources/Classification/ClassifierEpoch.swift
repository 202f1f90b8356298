import Feedforward
import SeqTensor

/// One pass of a classifier over its `count` training items, as both trainers make it: the order
/// drawn by rank 0 from `random`, batches of `batch` items, each rank training on its part of a
/// batch (`classifierStep`), the learning rate from `schedule` at every step. Checks first that
/// every rank holds the same weights and statistics. Returns the pass's mean loss and accuracy (as
/// trained, in training mode, summed over the ranks) and advances `step`.
func classifierEpoch(
    _ model: any Module, random: RandomSource, count: Int, targets: [Int], classCount: Int,
    logits: ([Int]) -> Variable, optimizer: Optimizer, schedule: LearningRateSchedule, averaging: GradientAverager,
    batch: Int, clip: Float, step: inout Int
) throws -> (loss: Float, accuracy: Double) {
    model.isTraining = true
    let group = averaging.group
    try group.checkIdentical(model.stateDict.map(\.1), step: step)
    let order = group.permutation(count, drawnBy: &random.generator)
    let buffers = model.namedBuffers.map(\.1)
    var totalLoss = 0.0, correct = 0
    for start in stride(from: 0, to: count, by: batch) {
        let items = order[start..<min(count, start + batch)]
        optimizer.learningRate = schedule.rate(at: step)
        let (loss, right) = try classifierStep(
            items, targets: targets, classCount: classCount, logits: logits, optimizer: optimizer,
            averaging: averaging, buffers: buffers, clip: clip, step: step + 1)
        step += 1
        totalLoss += Double(loss) * Double(items.count)
        correct += right
    }
    if group.size > 1 { correct = Int(group.sum([Double(correct)])[0]) }
    return (Float(totalLoss / Double(count)), Double(correct) / Double(count))
}

/// One optimizer step of a classifier on a batch of items (indices into the training data):
/// this rank's part of the batch, softmax cross-entropy, the gradients averaged over the ranks by
/// their shares, the running statistics too (`buffers`). Returns the batch's mean loss and how
/// many of this rank's items were predicted right.
func classifierStep(
    _ batch: ArraySlice<Int>, targets: [Int], classCount: Int, logits: ([Int]) -> Variable, optimizer: Optimizer,
    averaging: GradientAverager, buffers: [Variable], clip: Float, step: Int
) throws -> (loss: Float, correct: Int) {
    let (items, share) = averaging.group.share(of: batch)
    let y = items.map { targets[$0] }
    let out = items.isEmpty ? nil : logits(items)
    let loss = try optimizer.minimize(
        out.map { crossEntropy(logits: $0, targets: y) }, clip: clip, step: step, averaging: averaging, share: share
    ).loss
    averaging.average(buffers, share: share)
    var correct = 0
    if let l = out?.value.pointer {
        for (r, label) in y.enumerated() where Kernels.argmax(l + r * classCount, count: classCount) == label {
            correct += 1
        }
    }
    return (loss, correct)
}
