// A recurrent cell defined outside the package: the minimal gated unit (MGU, Zhou et al. 2016),
// one gate where the GRU has two, written with autodiff operations, so its backpropagation
// through time comes from the graph with no code of its own. It is trained on the sine task
// beside the library's GRU (fused kernels) under the same data, optimizer and seed.
// Run: swift run -c release CustomCell [epochs]
import Datasets
import Feedforward
import Recurrent
import SeqTensor

/// f  = sigmoid(W_f x + U_f h + b_f)
/// h~ = tanh(W_h x + U_h (f * h) + b_h)
/// h' = (1 - f) * h + f * h~  =  h + f * (h~ - h)
final class MGU: Module {
    let hiddenSize: Int
    let inputForget: Linear, hiddenForget: Linear, inputCandidate: Linear, hiddenCandidate: Linear
    init(inputSize: Int, hiddenSize: Int, random: RandomSource) {
        self.hiddenSize = hiddenSize
        inputForget = Linear(inFeatures: inputSize, outFeatures: hiddenSize, random: random)
        hiddenForget = Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, random: random)
        inputCandidate = Linear(inFeatures: inputSize, outFeatures: hiddenSize, random: random)
        hiddenCandidate = Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, random: random)
    }
    var children: [(String, any Module)] {
        [("W_f", inputForget), ("U_f", hiddenForget), ("W_h", inputCandidate), ("U_h", hiddenCandidate)]
    }
    /// x (T, B, inputSize) -> the last hidden state (B, hiddenSize), from h = 0.
    func callAsFunction(_ x: Variable) -> Variable {
        let (steps, batch) = (x.shape[0], x.shape[1])
        var h = Variable(Tensor(zeros: [batch, hiddenSize]))
        for t in 0..<steps {
            let xt = x.slice(t..<(t + 1)).reshaped([batch, x.shape[2]])
            let f = (inputForget(xt) + hiddenForget(h)).sigmoid()
            let candidate = (inputCandidate(xt) + hiddenCandidate(f * h)).tanh()
            h = h + f * (candidate - h)
        }
        return h
    }
}

/// A classifier over any encoder of (T, B, 1) into (B, hidden).
final class Classifier: Module {
    let encoder: any Module, head: Linear, encode: (Variable) -> Variable
    init(_ encoder: any Module, hidden: Int, encode: @escaping (Variable) -> Variable, random: RandomSource) {
        (self.encoder, self.encode) = (encoder, encode)
        head = Linear(inFeatures: hidden, outFeatures: 10, random: random)
    }
    var children: [(String, any Module)] { [("encoder", encoder), ("head", head)] }
    func callAsFunction(_ x: Variable) -> Variable { head(encode(x)) }
}

func batch(_ data: LabeledRows, _ rows: [Int]) -> Variable {
    let x = data.features.gathering(rows: rows).swappingFirstAxes()
    return Variable(x.reshaped([x.shape[0], rows.count, 1]))
}

func trainAndTest(_ model: Classifier, _ train: LabeledRows, _ test: LabeledRows, epochs: Int) throws -> Float {
    let optimizer = Adam(model.parameters, learningRate: 1e-2)
    var generator = SeededGenerator(seed: 3)
    var step = 0
    for _ in 0..<epochs {
        var order = Array(0..<train.count)
        order.shuffle(using: &generator)
        for start in stride(from: 0, to: order.count, by: 32) {
            let rows = Array(order[start..<min(start + 32, order.count)])
            let loss = crossEntropy(logits: model(batch(train, rows)), targets: rows.map { train.labels[$0] })
            step += 1
            try optimizer.minimize(loss, clip: 1, step: step)
        }
    }
    let logits = model.inferenceMode { model(batch(test, Array(0..<test.count))) }.value
    let right = (0..<test.count).filter { Kernels.argmax(logits.pointer + 10 * $0, count: 10) == test.labels[$0] }
    return Float(right.count) / Float(test.count)
}

let epochs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 30 : 30
var generator = SeededGenerator(seed: 7)
let train = SineDataset.random(count: 16, points: 40, generator: &generator)
let test = SineDataset.random(count: 4, points: 40, generator: &generator)

let mgu = MGU(inputSize: 1, hiddenSize: 24, random: RandomSource(seed: 1))
let custom = Classifier(mgu, hidden: 24, encode: { mgu($0) }, random: RandomSource(seed: 1))
let customAccuracy = try trainAndTest(custom, train, test, epochs: epochs)
print("MGU (custom, \(custom.parameterCount) parameters): test accuracy \(customAccuracy)")
print("  parameters: \(custom.namedParameters.map(\.0).joined(separator: ", "))")

let gru = GRU(inputSize: 1, hiddenSize: 24, random: RandomSource(seed: 1))
let library = Classifier(
    gru, hidden: 24, encode: { gru($0).state.h.reshaped([$0.shape[1], 24]) }, random: RandomSource(seed: 1))
let libraryAccuracy = try trainAndTest(library, train, test, epochs: epochs)
print("GRU (library, \(library.parameterCount) parameters): test accuracy \(libraryAccuracy)")
