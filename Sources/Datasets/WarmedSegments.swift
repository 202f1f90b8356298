import SeqTensor

/// A text cut into B contiguous segments scored side by side as one batch of B streams, each
/// segment after the first started `warmup` characters early, so that its state is warmed by the
/// real text before it; those warm-up predictions are run and not counted. Every character but
/// the first is predicted, and counted, exactly once.
///
/// Of the N tokens, the N - 1 predictions (targets 1..<N) are split into B runs of nearly equal
/// length (B = `streams`, at most N - 1). Stream b counts targets `firstCounted[b]..<ends[b]` and
/// reads inputs from `starts[b] = max(0, firstCounted[b] - 1 - warmup)`. With B = 1 it is the one
/// stream from a zero state that `StreamBatches.evaluationChunks()` of a single stream cuts.
///
/// Nothing is copied: a chunk is read from the B places it comes from when it is asked for, so
/// memory is the token buffer (one byte per character for vocabularies up to 256, or a mapped
/// prepared corpus) and one chunk.
public struct WarmedSegments {
    /// The text.
    public let tokens: Tokens
    /// Streams (B: the requested number, fewer when there are fewer predictions), characters of
    /// warm-up before each segment but the first, and steps per chunk (T).
    public let streams: Int, warmup: Int, steps: Int
    /// Per stream: the index of its first input, of its first counted target, and one past its last target.
    public let starts: [Int], firstCounted: [Int], ends: [Int]
    /// Steps of the longest stream; shorter ones are padded (not counted) to it.
    public let length: Int

    /// The segments of `tokens` for `streams` streams with `warmup` characters of warm-up, read
    /// `steps` at a time. Throws, naming `source`, when there are fewer than 2 tokens.
    public init(tokens: Tokens, streams: Int, warmup: Int, steps: Int, source: String) throws {
        precondition(streams > 0 && warmup >= 0 && steps > 0, "WarmedSegments: B=\(streams), W=\(warmup), T=\(steps)")
        let predictions = tokens.count - 1
        guard predictions > 0 else {
            throw DataError(file: source, problem: "needs at least 2 characters to predict one")
        }
        let B = min(streams, predictions)
        // Targets 1..<N in B runs whose sizes differ by at most one, the longer ones first.
        let per = predictions / B, extra = predictions % B
        let firstCounted = (0..<B).map { 1 + $0 * per + min($0, extra) }
        let ends = (0..<B).map { b in firstCounted[b] + per + (b < extra ? 1 : 0) }
        let starts = firstCounted.map { max(0, $0 - 1 - warmup) }
        (self.tokens, self.streams, self.warmup, self.steps) = (tokens, B, warmup, steps)
        (self.starts, self.firstCounted, self.ends) = (starts, firstCounted, ends)
        length = (0..<B).map { ends[$0] - 1 - starts[$0] }.max()!
    }

    /// Predictions counted over all streams: N - 1.
    public var predictions: Int { tokens.count - 1 }

    /// The chunks that cover every stream's steps in order, made as they are read.
    public func chunks() -> Chunks { Chunks(segments: self) }

    /// One chunk: inputs and targets (T*B, time-major), which of them count (nil when all do;
    /// else 1 or 0 per entry, as `crossEntropy`'s mask) and the steps T (the last chunk's may be
    /// fewer).
    public struct Chunk {
        public let inputs: [Int], targets: [Int]
        public let counted: [Float]?
        public let steps: Int
    }

    /// The chunks of `chunks()`.
    public struct Chunks: Sequence, IteratorProtocol {
        let segments: WarmedSegments
        var position = 0

        /// The next chunk, or nil after the last.
        public mutating func next() -> Chunk? {
            let s = segments, B = s.streams
            guard position < s.length else { return nil }
            let tt = Swift.min(s.steps, s.length - position)
            var inputs = [Int](repeating: 0, count: tt * B), targets = inputs
            var counted = [Float](repeating: 1, count: tt * B)
            var allCounted = true
            for b in 0..<B {
                let start = s.starts[b] + position
                for t in 0..<tt {
                    let i = start + t, k = t * B + b
                    // Past its segment's end a stream is padded with token 0, not counted.
                    guard i + 1 < s.ends[b] else {
                        counted[k] = 0
                        allCounted = false
                        continue
                    }
                    inputs[k] = s.tokens[i]
                    targets[k] = s.tokens[i + 1]
                    if i + 1 < s.firstCounted[b] {
                        counted[k] = 0
                        allCounted = false
                    }
                }
            }
            position += tt
            return Chunk(inputs: inputs, targets: targets, counted: allCounted ? nil : counted, steps: tt)
        }
    }
}
