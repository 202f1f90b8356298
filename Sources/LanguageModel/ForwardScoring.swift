import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// Scoring a text with the model forward only: validation, `seqtool eval` and the benchmark's
/// forward rate all run their chunks through `chunkLoss`, so they score alike.
extension CharLanguageModel {
    /// The summed next-character cross-entropy (nats) of one chunk and the state after it, forward
    /// only when called in inference mode (`inferenceMode`): the recurrent layers then keep no
    /// activations for backward (see `recurrentSequence`), and nothing is recorded.
    ///
    /// - Parameters:
    ///   - inputs: token ids (T*B, time-major).
    ///   - targets: the next token of each input (T*B).
    ///   - counted: 1 for a prediction that counts, 0 for one that does not (T*B); nil: all count.
    ///   - state: the state before the chunk, every part (L, B, H); nil for zeros.
    /// - Returns: the sum over the counted predictions, rounded to Float as the loss of the chunk
    ///   is (so every way of scoring a stream chunk by chunk adds the same numbers), and the state.
    public func chunkLoss(
        inputs: [Int], targets: [Int], steps: Int, batch: Int, counted: [Float]? = nil, state: RecurrentState?
    ) -> (total: Double, state: RecurrentState) {
        let (logits, next) = self(inputs, steps: steps, batch: batch, state: state)
        let loss = crossEntropy(logits: logits, targets: targets, mask: counted, reduction: .sum)
        return (Double(loss.value.item), next)
    }

    /// The summed next-character cross-entropy over every counted prediction of `segments`, from
    /// a zero state carried across chunks, forward only, and the number of predictions (N - 1).
    /// `progress` is called after every chunk with the steps done and the steps in all.
    public func lossSum(
        over segments: WarmedSegments, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) -> (total: Double, count: Int) {
        inferenceMode {
            var state: RecurrentState? = nil
            var total: Double = 0, done = 0
            for chunk in segments.chunks() {
                let (loss, next) = chunkLoss(
                    inputs: chunk.inputs, targets: chunk.targets, steps: chunk.steps, batch: segments.streams,
                    counted: chunk.counted, state: state)
                total += loss
                state = next
                done += chunk.steps
                progress?(done, segments.length)
            }
            return (total, segments.predictions)
        }
    }
}
