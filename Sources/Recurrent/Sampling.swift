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

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, greedy: Bool = false) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.greedy = greedy
    }

    /// Draws a token from `logits` (V values).
    public func draw(_ logits: UnsafePointer<Float>, count: Int, generator: inout SeededGenerator) -> Int {
        if greedy { return Kernels.argmax(logits, count: count) }
        var probabilities = [Float](repeating: 0, count: count)
        probabilities.withUnsafeMutableBufferPointer { p in
            let inv = 1 / temperature
            for i in 0..<count { p[i] = logits[i] * inv }
            Kernels.softmaxRows(p.baseAddress!, p.baseAddress!, rows: 1, columns: count)
        }
        if topK != nil || topP != nil {
            let order = (0..<count).sorted { probabilities[$0] > probabilities[$1] }
            var keep = count
            if let k = topK { keep = min(keep, max(1, k)) }
            if let p = topP {
                var total: Float = 0, n = 0
                while n < keep {
                    total += probabilities[order[n]]
                    n += 1
                    if total >= p { break }
                }
                keep = n
            }
            for i in order[keep...] { probabilities[i] = 0 }
        }
        let total = probabilities.reduce(0, +)
        var u = generator.nextFloat() * total
        for (i, q) in probabilities.enumerated() where q > 0 {
            u -= q
            if u < 0 { return i }
        }
        return probabilities.lastIndex { $0 > 0 } ?? 0
    }
}

extension CharLanguageModel {
    /// Generates `length` characters after `prime` (one-to-many), calling `emit` with each as it
    /// is drawn. An empty prime starts from a newline when the vocabulary has one. Runs on a
    /// `CharStepper`: batch 1, one token at a time, no graph and no allocation per character.
    public func sample(prime: String, length: Int, options: SamplingOptions, generator: inout SeededGenerator,
                       emit: (Unicode.Scalar) -> Void) throws {
        var start = Array(prime.unicodeScalars)
        if start.isEmpty { start = [vocabulary.id(of: "\n") != nil ? "\n" : vocabulary.characters[0]] }
        let ids = try vocabulary.encode(start, source: "--prime").map(Int.init)
        let stepper = CharStepper(self)
        for id in ids { stepper.step(id) }
        for _ in 0..<length {
            let next = stepper.logits.withUnsafeBufferPointer { options.draw($0.baseAddress!, count: vocabulary.count, generator: &generator) }
            emit(vocabulary.characters[next])
            stepper.step(next)
        }
    }
}
