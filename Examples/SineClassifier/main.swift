// Classifies sine waves by their frequency (ten classes) with an LSTM, using only the public API:
// make the data, define a Module, train with Adam, save, load, predict.
// Run: swift run -c release SineClassifier [epochs]
import Datasets
import Feedforward
import Recurrent
import SeqTensor

final class SineClassifier: Module {
    let rnn: LSTM
    let head: Linear
    init(classes: Int, random: RandomSource) {
        rnn = LSTM(inputSize: 1, hiddenSize: 32, random: random)
        head = Linear(inFeatures: 32, outFeatures: classes, random: random)
    }
    var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }
    /// x (T, B, 1) -> logits (B, classes), from the last step's hidden state.
    func callAsFunction(_ x: Variable) -> Variable {
        let (_, state) = rnn(x)  // state.h (1, B, 32)
        return head(state.h.reshaped([x.shape[1], 32]))
    }
}

/// Rows (N, T) of `data` as one batch (T, N, 1), time first as the recurrent layers take it.
func sequences(_ data: LabeledRows, _ rows: [Int]) -> Variable {
    let x = data.features.gathering(rows: rows).swappingFirstAxes()
    return Variable(x.reshaped([x.shape[0], rows.count, 1]))
}

func accuracy(_ model: SineClassifier, _ data: LabeledRows) -> Float {
    let logits = model.inferenceMode { model(sequences(data, Array(0..<data.count))) }.value
    return Float(zip(logits.argmax(), data.labels).filter { $0 == $1 }.count) / Float(data.count)
}

let epochs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 40 : 40
var generator = SeededGenerator(seed: 7)
let train = SineDataset.random(count: 16, points: 50, generator: &generator)  // 160 rows (5 batches) of 50 steps
let test = SineDataset.random(count: 4, points: 50, generator: &generator)

let model = SineClassifier(classes: 10, random: RandomSource(seed: 1))
let optimizer = Adam(model.parameters, learningRate: 1e-2)
var step = 0
for epoch in 1...epochs {
    var order = Array(0..<train.count)
    order.shuffle(using: &generator)
    var total: Float = 0
    for start in stride(from: 0, to: order.count, by: 32) {
        let rows = Array(order[start..<min(start + 32, order.count)])
        let loss = crossEntropy(logits: model(sequences(train, rows)), targets: rows.map { train.labels[$0] })
        step += 1
        total += try optimizer.minimize(loss, clip: 1, step: step).loss
    }
    if epoch % 10 == 0 { print("epoch \(epoch): loss \(total / 5), test accuracy \(accuracy(model, test))") }
}
try model.save(to: "sine-classifier.safetensors", metadata: ["classes": "10"])
let loaded = SineClassifier(classes: 10, random: RandomSource(seed: 2))
_ = try loaded.load(from: "sine-classifier.safetensors")
print("loaded model: test accuracy \(accuracy(loaded, test))")
