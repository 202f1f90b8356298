// The program scripts/check-dependency.sh builds in a package of its own that depends on seqtool
// by URL and version, as a user's would: PyTorch's nn.LSTM case of a parity fixture (weights,
// input, initial state and PyTorch's outputs) through seqtool's LSTM, printing the largest
// difference. Usage: LSTMFromPyTorch lstm_4.json
import Foundation
import Recurrent
import SeqTensor

let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[1])))
guard let fixture = fixture as? [String: Any], let config = fixture["config"] as? [String: Any],
    let tensors = fixture["tensors"] as? [String: [String: Any]]
else { fatalError("\(CommandLine.arguments[1]) is not a parity fixture") }

func tensor(_ name: String) -> Tensor {
    guard let data = tensors[name]?["data"] as? [Double], let shape = tensors[name]?["shape"] as? [Int] else {
        fatalError("the fixture has no tensor \(name)")
    }
    return Tensor(data.map(Float.init), shape: shape)
}

let lstm = LSTM(
    inputSize: config["input_size"] as! Int, hiddenSize: config["hidden_size"] as! Int,
    numLayers: config["num_layers"] as! Int, bidirectional: config["bidirectional"] as! Bool,
    random: RandomSource(seed: 1))
for (name, parameter) in lstm.namedParameters { parameter.value = tensor(name) }
let (output, state) = lstm(
    Variable(tensor("input")), state: LSTMState(h: Variable(tensor("h0")), c: Variable(tensor("c0"))))

var largest: Float = 0  // infinity for a NaN or a shape that differs
for (ours, theirs) in [(output.value, "out.output"), (state.h.value, "out.h_n"), (state.c.value, "out.c_n")] {
    let expected = tensor(theirs)
    if ours.shape != expected.shape { largest = .infinity }
    for (a, b) in zip(ours.scalars, expected.scalars) where !(abs(a - b) <= largest) {
        largest = (a - b).isNaN ? .infinity : abs(a - b)
    }
}
print("LSTM \(lstm.parameterCount) parameters, output \(output.shape), largest difference from PyTorch: \(largest)")
