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
            throw DataError(file: source, problem: "\(tokens.count) characters are too few for \(batch) streams of \(steps + 1) (--batch x (--seq + 1) = \(batch * (steps + 1)))")
        }
        self.batch = batch
        self.steps = steps
        self.length = length
        var s = [Int32](repeating: 0, count: length * batch)
        for b in 0..<batch { for t in 0..<length { s[t * batch + b] = tokens[b * length + t] } }
        streams = s
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
        let n = steps * batch, start = position * batch
        let inputs = (0..<n).map { Int(streams[start + $0]) }
        let targets = (0..<n).map { Int(streams[start + batch + $0]) }
        position += steps
        return (inputs, targets, wrapped)
    }

    /// Consecutive chunks of at most T steps covering every prediction once (evaluation):
    /// (inputs, targets, steps in this chunk).
    public func evaluationChunks() -> [(inputs: [Int], targets: [Int], steps: Int)] {
        var chunks: [(inputs: [Int], targets: [Int], steps: Int)] = []
        var pos = 0
        while pos < length - 1 {
            let tt = min(steps, length - 1 - pos)
            let n = tt * batch, start = pos * batch
            chunks.append(((0..<n).map { Int(streams[start + $0]) }, (0..<n).map { Int(streams[start + batch + $0]) }, tt))
            pos += tt
        }
        return chunks
    }
}
