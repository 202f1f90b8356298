// A recurrent cell defined outside the package: the minimal gated unit (MGU, Zhou et al. 2016),
// one gate where the GRU has two. Its step is written with autodiff operations; the library's
// RecurrentLayer runs it over sequences (stacking, both directions, lengths and batch-first come
// with it) and its backpropagation through time comes from the graph with no code of its own. It
// is trained on the sine task beside the library's GRU (fused kernels) under the same data,
// optimizer and seed.
// Run: swift run -c release CustomCell [epochs]
import Datasets
import Feedforward
import Recurrent
import SeqTensor

/// f  = sigmoid(W_f x + U_f h + b_f)
/// h~ = tanh(W_h x + U_h (f * h) + b_h)
/// h' = (1 - f) * h + f * h~  =  h + f * (h~ - h)
final class MGU: RecurrentCell {
    let inputSize: Int, hiddenSize: Int
    let inputForget: Linear, hiddenForget: Linear, inputCandidate: Linear, hiddenCandidate: Linear
    init(inputSize: Int, hiddenSize: Int, random: RandomSource) {
        (self.inputSize, self.hiddenSize) = (inputSize, hiddenSize)
        inputForget = Linear(inFeatures: inputSize, outFeatures: hiddenSize, random: random)
        hiddenForget = Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, random: random)
        inputCandidate = Linear(inFeatures: inputSize, outFeatures: hiddenSize, random: random)
        hiddenCandidate = Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, random: random)
    }
    var children: [(String, any Module)] {
        [("W_f", inputForget), ("U_f", hiddenForget), ("W_h", inputCandidate), ("U_h", hiddenCandidate)]
    }
    var name: String { "mgu" }
    /// One step: x (B, inputSize) and h (B, hiddenSize) -> the next h.
    func callAsFunction(_ x: Variable, state: HiddenState) -> HiddenState {
        let h = state.h
        let f = (inputForget(x) + hiddenForget(h)).sigmoid()
        let candidate = (inputCandidate(x) + hiddenCandidate(f * h)).tanh()
        return HiddenState(h: h + f * (candidate - h))
    }
}

/// A classifier of (T, B, 1) over any recurrent stack: its last hidden state (B, H) -> 10 classes.
final class Classifier: Module {
    let encoder: any RecurrentStack, head: Linear
    init(_ encoder: any RecurrentStack, random: RandomSource) {
        self.encoder = encoder
        head = Linear(inFeatures: encoder.hiddenSize, outFeatures: 10, random: random)
    }
    var children: [(String, any Module)] { [("encoder", encoder), ("head", head)] }
    func callAsFunction(_ x: Variable) -> Variable {
        head(encoder(x).state.h.reshaped([x.shape[1], encoder.hiddenSize]))
    }
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
    return Float(zip(logits.argmax(), test.labels).filter { $0 == $1 }.count) / Float(test.count)
}

let epochs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 30 : 30
var generator = SeededGenerator(seed: 7)
let train = SineDataset.random(count: 16, points: 40, generator: &generator)
let test = SineDataset.random(count: 4, points: 40, generator: &generator)

// A layer of MGU cells (numLayers, bidirectional, lengths and batchFirst work as for the GRU).
let mgu = RecurrentLayer(inputSize: 1, random: RandomSource(seed: 1)) { inputSize, random in
    MGU(inputSize: inputSize, hiddenSize: 24, random: random)
}
let custom = Classifier(mgu, random: RandomSource(seed: 1))
let customAccuracy = try trainAndTest(custom, train, test, epochs: epochs)
print("MGU (custom, \(custom.parameterCount) parameters): test accuracy \(customAccuracy)")
print("  parameters: \(custom.namedParameters.map(\.0).joined(separator: ", "))")

let library = Classifier(
    GRU(inputSize: 1, hiddenSize: 24, random: RandomSource(seed: 1)), random: RandomSource(seed: 1))
let libraryAccuracy = try trainAndTest(library, train, test, epochs: epochs)
print("GRU (library, \(library.parameterCount) parameters): test accuracy \(libraryAccuracy)")
