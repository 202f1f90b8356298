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
    ///   - steps: the chunk's steps (T).
    ///   - batch: the streams scored side by side (B).
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
    /// `progress` is called as each chunk is taken, with the steps taken and the steps in all.
    public func lossSum(
        over segments: WarmedSegments, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) -> (total: Double, count: Int) {
        var done = 0
        let total = lossSum(of: segments.chunks(), batch: segments.streams) { chunk in
            done += chunk.steps
            progress?(done, segments.length)
            return (chunk.inputs, chunk.targets, chunk.steps, chunk.counted)
        }
        return (total, segments.predictions)
    }

    /// The summed loss of `chunks` of `batch` streams from a zero state carried from chunk to
    /// chunk, forward only; `parts` gives a chunk's inputs, targets, steps and counted mask.
    func lossSum<Chunks: Sequence>(
        of chunks: Chunks, batch: Int,
        _ parts: (Chunks.Element) -> (inputs: [Int], targets: [Int], steps: Int, counted: [Float]?)
    ) -> Double {
        inferenceMode {
            var state: RecurrentState? = nil
            var total: Double = 0
            for chunk in chunks {
                let (inputs, targets, steps, counted) = parts(chunk)
                let (loss, next) = chunkLoss(
                    inputs: inputs, targets: targets, steps: steps, batch: batch, counted: counted, state: state)
                total += loss
                state = next
            }
            return total
        }
    }
}
