import SeqTensor

/// Truncated-BPTT batches over B parallel streams, as char-rnn and the PyTorch benchmark cut
/// them: the token sequence is split into B contiguous streams of L = N / B tokens (the tail
/// that does not fill a stream is dropped); batch k takes the next T steps of every stream,
/// inputs x[t][b] = stream_b[pos + t] and targets y[t][b] = stream_b[pos + t + 1]. When a stream
/// runs out (pos + T + 1 > L) all wrap to the start: a new epoch, and the carried state resets.
public struct StreamBatches {
    public let batch: Int, steps: Int
    /// Tokens time-major: streams[t * B + b] = stream b at position t.
    public let streams: [Int32]
    public let length: Int
    /// Position of the next batch in every stream.
    public var position = 0
    /// Completed passes over the streams.
    public var epoch = 0

    /// Throws when the tokens do not give every stream at least T + 1 tokens (or, for
    /// evaluation only, at least 2: one prediction).
    public init(tokens: [Int32], batch: Int, steps: Int, source: String, evaluationOnly: Bool = false) throws {
        precondition(batch > 0 && steps > 0)
        let length = tokens.count / batch
        guard length >= (evaluationOnly ? 2 : steps + 1) else {
            throw DataError(
                file: source,
                problem:
                    "\(tokens.count) characters are too few for \(batch) streams of \(steps + 1) (--batch x (--seq + "
                    + "1) = \(batch * (steps + 1)))"
            )
        }
        self.batch = batch
        self.steps = steps
        self.length = length
        var s = [Int32](repeating: 0, count: length * batch)
        for b in 0..<batch { for t in 0..<length { s[t * batch + b] = tokens[b * length + t] } }
        streams = s
    }

    /// The char-rnn split of a token sequence: the first 1 - `validationFraction` as training
    /// streams, the rest as validation streams (B of them, fewer for a short tail; nil when
    /// there is no validation text or too little to predict anything).
    public static func split(_ tokens: [Int32], validationFraction: Double, batch: Int, steps: Int, source: String)
        throws
        -> (training: StreamBatches, validation: StreamBatches?, trainCount: Int)
    {
        let trainCount = validationFraction > 0 ? Int(Double(tokens.count) * (1 - validationFraction)) : tokens.count
        let training = try StreamBatches(
            tokens: Array(tokens[..<trainCount]), batch: batch, steps: steps, source: source)
        guard trainCount < tokens.count else { return (training, nil, trainCount) }
        let tail = Array(tokens[trainCount...])
        let validation = try? StreamBatches(
            tokens: tail, batch: max(1, min(batch, tail.count / 2)), steps: steps, source: source, evaluationOnly: true)
        return (training, validation, trainCount)
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
        let n = tt * batch, start = pos * batch
        return ((0..<n).map { Int(streams[start + $0]) }, (0..<n).map { Int(streams[start + batch + $0]) })
    }

    /// Consecutive chunks of at most T steps covering every prediction once (evaluation):
    /// (inputs, targets, steps in this chunk).
    public func evaluationChunks() -> [(inputs: [Int], targets: [Int], steps: Int)] {
        var chunks: [(inputs: [Int], targets: [Int], steps: Int)] = []
        var pos = 0
        while pos < length - 1 {
            let tt = min(steps, length - 1 - pos)
            let (inputs, targets) = window(at: pos, steps: tt)
            chunks.append((inputs, targets, tt))
            pos += tt
        }
        return chunks
    }
}
