import SeqTensor

/// Truncated-BPTT batches over B parallel streams, as char-rnn and the PyTorch benchmark cut
/// them: the token sequence is split into B contiguous streams of L = N / B tokens (the tail
/// that does not fill a stream is dropped); batch k takes the next T steps of every stream,
/// inputs x[t][b] = stream_b[pos + t] and targets y[t][b] = stream_b[pos + t + 1]. When a stream
/// runs out (pos + T + 1 > L) all wrap to the start: a new epoch, and the carried state resets.
///
/// A stream is an offset into the one token buffer: nothing is copied, and a batch is read from
/// the B places it comes from when it is asked for.
public struct StreamBatches {
    /// Streams (B) and steps per batch (T).
    public private(set) var batch: Int
    public let steps: Int
    /// The tokens the streams cut: stream b is tokens[b * length ..< (b + 1) * length].
    public let tokens: Tokens
    /// Tokens per stream (L = N / B).
    public let length: Int
    /// The index of this set's first stream among all the streams the tokens were cut into
    /// (nonzero for a rank's share, see `streams(_:)`).
    public private(set) var firstStream = 0
    /// Position of the next batch in every stream.
    public var position = 0
    /// Completed passes over the streams.
    public var epoch = 0

    /// Throws when the tokens do not give every stream at least T + 1 tokens (or, for
    /// evaluation only, at least 2: one prediction).
    public init(tokens: Tokens, batch: Int, steps: Int, source: String, evaluationOnly: Bool = false) throws {
        precondition(batch > 0 && steps > 0)
        let length = tokens.count / batch
        guard length >= (evaluationOnly ? 2 : steps + 1) else {
            throw DataError(
                file: source,
                problem: "\(tokens.count) characters are too few for \(batch) streams of \(steps + 1) "
                    + "(batch x (steps + 1) = \(batch * (steps + 1)))")
        }
        (self.batch, self.steps, self.length, self.tokens) = (batch, steps, length, tokens)
    }

    /// The char-rnn split of a token sequence: the first 1 - `validationFraction` as training
    /// streams, the rest as validation streams (B of them, fewer for a short tail; nil when
    /// there is no validation text or too little to predict anything). `validationLimit` keeps
    /// the first that many validation tokens (the same ones every time), so that evaluating a
    /// large corpus stays bounded.
    public static func split(
        _ tokens: Tokens, validationFraction: Double, validationLimit: Int? = nil, batch: Int, steps: Int,
        source: String
    ) throws -> (training: StreamBatches, validation: StreamBatches?, trainCount: Int) {
        let trainCount = validationFraction > 0 ? Int(Double(tokens.count) * (1 - validationFraction)) : tokens.count
        let training = try StreamBatches(
            tokens: tokens.slice(0..<trainCount), batch: batch, steps: steps, source: source)
        guard trainCount < tokens.count else { return (training, nil, trainCount) }
        let tailCount = min(tokens.count - trainCount, validationLimit ?? .max)
        let validation = try? StreamBatches(
            tokens: tokens.slice(trainCount..<(trainCount + tailCount)), batch: max(1, min(batch, tailCount / 2)),
            steps: steps, source: source, evaluationOnly: true)
        return (training, validation, trainCount)
    }

    /// Streams `range` of these (`0..<batch`), at the same position and epoch: a rank's share of
    /// each batch in data-parallel training. Batch k of the share is rows `range` of batch k of
    /// the whole; `range` may be empty (nothing to read).
    public func streams(_ range: Range<Int>) -> StreamBatches {
        precondition(range.lowerBound >= 0 && range.upperBound <= batch, "StreamBatches: streams \(range) of \(batch)")
        var share = self
        share.firstStream = firstStream + range.lowerBound
        share.batch = range.count
        return share
    }

    /// Batches in one pass over the streams.
    public var batchesPerEpoch: Int { (length - 1) / steps }

    /// The next batch: inputs and targets (T*B, time-major), and whether the streams just
    /// wrapped (the caller resets its carried state).
    public mutating func next() -> (inputs: [Int], targets: [Int], wrapped: Bool) {
        var wrapped = false
        if position + steps + 1 > length {
            position = 0
            epoch += 1
            wrapped = true
        }
        let (inputs, targets) = window(at: position, steps: steps)
        position += steps
        return (inputs, targets, wrapped)
    }

    /// Inputs at positions pos..<pos+tt of every stream and the targets one position later.
    func window(at pos: Int, steps tt: Int) -> (inputs: [Int], targets: [Int]) {
        var inputs = [Int](repeating: 0, count: tt * batch), targets = inputs
        for b in 0..<batch {
            let start = (firstStream + b) * length + pos
            for t in 0..<tt {
                inputs[t * batch + b] = tokens[start + t]
                targets[t * batch + b] = tokens[start + t + 1]
            }
        }
        return (inputs, targets)
    }

    /// Consecutive chunks of at most T steps covering every prediction once (evaluation), made
    /// as they are read: (inputs, targets, steps in this chunk).
    public func evaluationChunks() -> EvaluationChunks { EvaluationChunks(streams: self) }

    /// The chunks of `evaluationChunks()`.
    public struct EvaluationChunks: Sequence, IteratorProtocol {
        let streams: StreamBatches
        var position = 0

        /// The next chunk, or nil after the last.
        public mutating func next() -> (inputs: [Int], targets: [Int], steps: Int)? {
            guard position < streams.length - 1 else { return nil }
            let tt = Swift.min(streams.steps, streams.length - 1 - position)
            let (inputs, targets) = streams.window(at: position, steps: tt)
            position += tt
            return (inputs, targets, tt)
        }
    }
}
