import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// One-to-many: a recurrent generator that draws a curve from a class alone.
///
/// At step t the cell reads [y_{t-1}, onehot(class)] (y_{-1} = 0) and a Linear head predicts y_t.
/// Training uses teacher forcing (the true previous value is fed in, with a little noise so the
/// model learns to recover from its own small errors); generation runs free, feeding each
/// prediction back as the next input.
public final class SequenceGenerator: Module {
    /// The recurrent cell.
    public let cell: CellKind
    /// Hidden units (H) and the classes it generates curves of (C).
    public let hidden: Int, classCount: Int
    /// The recurrent layer ((1 + C) -> H).
    public let rnn: any RecurrentStack
    /// The value at each step (H -> 1).
    public let head: Linear
    /// The source of the teacher-forcing noise.
    public let random: RandomSource
    /// Standard deviation of the noise added to teacher-forced inputs while training.
    public var inputNoise: Float = 0.01

    /// A generator of curves of `classCount` classes, drawn from `random`.
    public init(cell: CellKind, hidden: Int, classCount: Int, random: RandomSource) {
        self.cell = cell
        self.hidden = hidden
        self.classCount = classCount
        self.random = random
        rnn = cell.makeLayer(inputSize: 1 + classCount, hiddenSize: hidden, random: random)
        head = Linear(inFeatures: hidden, outFeatures: 1, random: random)
    }

    public var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }

    /// Inputs (T, B, 1 + C) for previous values `previous` (T, B) time-major and `classes` (B).
    func inputs(previous: [Float], steps: Int, classes: [Int]) -> Variable {
        let B = classes.count, width = 1 + classCount
        var x = Tensor(zeros: [steps, B, width])
        let p = x.mutablePointer
        for t in 0..<steps {
            for b in 0..<B {
                p[(t * B + b) * width] = previous[t * B + b]
                p[(t * B + b) * width + 1 + classes[b]] = 1
            }
        }
        return Variable(x)
    }

    /// Mean squared error of teacher-forced one-step predictions on `curves` (B, T) of `classes`.
    public func loss(curves: Tensor, classes: [Int]) -> Variable {
        let B = curves.shape[0], T = curves.shape[1]
        var previous = [Float](repeating: 0, count: T * B), target = Tensor(uninitialized: [T * B, 1])
        let c = curves.pointer, tp = target.mutablePointer
        for t in 0..<T {
            for b in 0..<B {
                tp[t * B + b] = c[b * T + t]
                if t > 0 { previous[t * B + b] = c[b * T + t - 1] + inputNoise * random.generator.nextNormal() }
            }
        }
        let h = rnn(inputs(previous: previous, steps: T, classes: classes)).output
        return mseLoss(head(h.reshaped([T * B, hidden])), Variable(target))
    }

    /// `length` values generated freely for `classIndex`.
    public func generate(classIndex: Int, length: Int) -> [Float] {
        precondition(
            classIndex >= 0 && classIndex < classCount, "generate: class \(classIndex) outside 0..<\(classCount)")
        return inferenceMode {
            var state: RecurrentState? = nil
            var value: Float = 0
            var out: [Float] = []
            for _ in 0..<length {
                let (h, next) = rnn(inputs(previous: [value], steps: 1, classes: [classIndex]), state: state)
                value = head(h.reshaped([1, hidden])).value.item
                out.append(value)
                state = next
            }
            return out
        }
    }

    /// The `format` of the model file's metadata.
    public static let format = "seqtool.generator.v1"

    /// Writes the generator; `reference` (classes, T) keeps each class's training curve beside it.
    public func save(to path: String, reference: Tensor? = nil, extra: [String: String] = [:]) throws {
        var m = extra
        m["format"] = Self.format
        m["cell"] = cell.name
        m["hidden"] = String(hidden)
        m["classes"] = String(classCount)
        try save(to: path, metadata: m, tensors: reference.map { ["reference.curves": $0] } ?? [:])
    }

    /// Reads a generator `save(to:reference:extra:)` wrote, and its metadata.
    public static func load(path: String) throws -> (model: SequenceGenerator, metadata: [String: String]) {
        let file = try SafeTensors.read(path: path)
        let m = file.metadata
        try requireFormat(m, Self.format, kind: "a sequence generator", path: path)
        guard let cell = m["cell"].flatMap(CellKind.init(name:)), let hidden = m["hidden"].flatMap(Int.init),
            hidden > 0, hidden <= 1 << 24,
            let classes = m["classes"].flatMap(Int.init), classes > 0, classes <= 1 << 24
        else {
            throw DataError(file: path, problem: "metadata cell/hidden/classes are missing or malformed")
        }
        try ModelFile.check(
            cell.parameterShapes(inputSize: 1 + classes, hiddenSize: hidden, numLayers: 1).map {
                ("rnn." + $0.0, $0.1)
            }
                + [("head.weight", [1, hidden]), ("head.bias", [1])], in: file, path: path)
        let model = SequenceGenerator(cell: cell, hidden: hidden, classCount: classes, random: RandomSource(seed: 0))
        try model.load(file, path: path)
        return (model, m)
    }
}
