import SeqTensor

/// A batch of series, standardised, in the layouts the networks read: flat rows for dense layers,
/// channel-major for convolutions, time-major (every k-th step) for recurrent layers. Series shorter
/// than the longest are padded with zeros; `lengths` says where each one ends.
public struct SeriesBatch {
    /// Series (B), channels per step (C), the longest series' steps (T).
    public let count: Int, channels: Int, steps: Int
    /// Each series' own steps.
    public let lengths: [Int]
    /// Recurrent layers read steps 0, k, 2k, ... (k = `subsample`).
    public let subsample: Int
    /// (B, T*C): series b's value at step t, channel c at [b][t * C + c]; zeros past its end.
    public let rows: Tensor

    /// The standardised series `indices` of `values` (time-major, `channels` per step): each value
    /// v of channel c becomes (v - mean[c]) * (1 / std[c]); recurrent layers read every
    /// `subsample`-th step.
    public init(
        _ values: [[Float]], _ indices: [Int], channels: Int, mean: [Float], std: [Float], subsample: Int = 1
    ) {
        let C = channels, lengths = indices.map { values[$0].count / C }
        let T = lengths.max() ?? 1, B = indices.count
        let inverse = std.map { 1 / $0 }
        var rows = Tensor(zeros: [B, T * C])
        let p = rows.mutablePointer
        for (b, i) in indices.enumerated() {
            let series = values[i], row = p + b * T * C
            for t in 0..<lengths[b] {
                for c in 0..<C { row[t * C + c] = (series[t * C + c] - mean[c]) * inverse[c] }
            }
        }
        (count, self.channels, steps, self.lengths, self.rows) = (B, C, T, lengths, rows)
        self.subsample = subsample
    }

    /// Whether every series of the batch has all T steps.
    public var isFull: Bool { lengths.allSatisfy { $0 == steps } }

    /// (B, C, T): series b's channel c at [b][c][t].
    public var channelMajor: Tensor {
        let (B, C, T) = (count, channels, steps)
        var out = Tensor(uninitialized: [B, C, T])
        let o = out.mutablePointer, p = rows.pointer
        for b in 0..<B {
            for t in 0..<T { for c in 0..<C { o[(b * C + c) * T + t] = p[(b * T + t) * C + c] } }
        }
        return out
    }

    /// Steps 0, k, 2k, ... (k = `subsample`) as (T', B, C) time-major, with each series' own
    /// count of them.
    public func timeMajor() -> (values: Tensor, lengths: [Int]) {
        let (B, C, k) = (count, channels, subsample), lengths = self.lengths.map { ($0 + k - 1) / k }
        let T = (steps + k - 1) / k
        var out = Tensor(zeros: [T, B, C])
        let o = out.mutablePointer, p = rows.pointer
        for b in 0..<B {
            for t in 0..<lengths[b] { for c in 0..<C { o[(t * B + b) * C + c] = p[(b * steps + t * k) * C + c] } }
        }
        return (out, lengths)
    }

    /// Ones (B, C', T) over each series' own steps, zeros past its end, for `channels` C'.
    public func mask(channels: Int) -> Tensor {
        var mask = Tensor(zeros: [count, channels, steps])
        let p = mask.mutablePointer
        for (b, length) in lengths.enumerated() {
            for c in 0..<channels { (p + (b * channels + c) * steps).update(repeating: 1, count: length) }
        }
        return mask
    }
}
