import SeqTensor

/// How the next token is drawn from the model's logits.
public struct SamplingOptions: Sendable {
    /// Logits are divided by it before the softmax (< 1 sharper, > 1 flatter).
    public var temperature: Float = 1
    /// Keep only the k most likely tokens.
    public var topK: Int? = nil
    /// Keep the smallest set of most likely tokens whose probability reaches p (nucleus sampling).
    public var topP: Float? = nil
    /// Always take the most likely token.
    public var greedy = false

    /// Options for drawing: the defaults draw from the model's own distribution.
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, greedy: Bool = false) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.greedy = greedy
    }

    /// Draws a token from `logits` (V values).
    public func draw(_ logits: UnsafePointer<Float>, count: Int, generator: inout SeededGenerator) -> Int {
        var probabilities = [Float](repeating: 0, count: count)
        return probabilities.withUnsafeMutableBufferPointer { draw(logits, generator: &generator, scratch: $0) }
    }

    /// Draws a token from `logits` (`scratch.count` values), with `scratch` for the
    /// probabilities: no allocation unless top-k or top-p sorts them.
    public func draw(
        _ logits: UnsafePointer<Float>, generator: inout SeededGenerator,
        scratch p: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        let count = p.count
        if greedy { return Kernels.argmax(logits, count: count) }
        let inv = 1 / temperature
        for i in 0..<count { p[i] = logits[i] * inv }
        Kernels.softmaxRows(p.baseAddress!, p.baseAddress!, rows: 1, columns: count)
        if topK != nil || topP != nil {
            let order = (0..<count).sorted { p[$0] > p[$1] }
            var keep = count
            if let k = topK { keep = min(keep, max(1, k)) }
            if let topP {
                var total: Float = 0, n = 0
                while n < keep {
                    total += p[order[n]]
                    n += 1
                    if total >= topP { break }
                }
                keep = n
            }
            for i in order[keep...] { p[i] = 0 }
        }
        var total: Float = 0
        for q in p { total += q }
        var u = generator.nextFloat() * total
        for (i, q) in p.enumerated() where q > 0 {
            u -= q
            if u < 0 { return i }
        }
        return p.lastIndex { $0 > 0 } ?? 0
    }
}

extension CharLanguageModel {
    /// Generates `length` characters after `prime` (one-to-many), calling `emit` with each as it
    /// is drawn. An empty prime starts from a newline when the vocabulary has one. Runs on a
    /// `CharStepper`: batch 1, one token at a time, no graph and no allocation per character.
    public func sample(
        prime: String, length: Int, options: SamplingOptions, generator: inout SeededGenerator,
        emit: (Unicode.Scalar) -> Void
    ) throws {
        var start = Array(prime.unicodeScalars)
        if start.isEmpty { start = [vocabulary.id(of: "\n") != nil ? "\n" : vocabulary.characters[0]] }
        let ids = try vocabulary.encode(start, source: "the prime").map(Int.init)
        // The prime is fed as given, then each drawn token in turn; the last one drawn is emitted
        // but not fed.
        var fed = 1, drawn = 0
        var probabilities = [Float](repeating: 0, count: vocabulary.count)
        probabilities.withUnsafeMutableBufferPointer { scratch in
            CharStepper(self).run(from: ids[0]) { logits in
                if fed < ids.count {
                    fed += 1
                    return ids[fed - 1]
                }
                if drawn == length { return nil }
                let next = options.draw(logits, generator: &generator, scratch: scratch)
                emit(vocabulary.characters[next])
                drawn += 1
                return drawn == length ? nil : next
            }
        }
    }
}
