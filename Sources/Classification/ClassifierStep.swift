import SeqTensor

/// One optimizer step of a classifier on a batch of items (indices into the training data), as
/// both trainers take it: this rank's part of the batch, softmax cross-entropy, the gradients
/// averaged over the ranks by their shares, the running statistics too (`buffers`). Returns the
/// batch's mean loss and how many of this rank's items were predicted right.
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
