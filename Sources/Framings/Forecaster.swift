import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// Many-to-many regression: a recurrent model that reads a series and predicts the next value at
/// every step (x_1..x_W from x_0..x_{W-1}); multi-step forecasts feed each prediction back in.
/// Values are standardised with `mean` and `std` (from the training data) inside the model.
public final class Forecaster: Module {
    /// The recurrent cell.
    public let cell: CellKind
    /// Hidden units (H).
    public let hidden: Int
    /// The recurrent layer (1 -> H).
    public let rnn: any RecurrentStack
    /// The next value at each step (H -> 1).
    public let head: Linear
    /// The training data's mean and standard deviation, applied inside the model.
    public var mean: Float = 0, std: Float = 1

    /// A forecaster of one-valued series, drawn from `random`.
    public init(cell: CellKind, hidden: Int, random: RandomSource) {
        self.cell = cell
        self.hidden = hidden
        rnn = cell.makeLayer(inputSize: 1, hiddenSize: hidden, random: random)
        head = Linear(inFeatures: hidden, outFeatures: 1, random: random)
    }

    public var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }

    /// Mean squared one-step error (in standardised units) on windows (B, W + 1).
    public func loss(windows: Tensor) -> Variable {
        let B = windows.shape[0], W = windows.shape[1] - 1
        var x = Tensor(uninitialized: [W, B, 1]), y = Tensor(uninitialized: [W * B, 1])
        let xp = x.mutablePointer, yp = y.mutablePointer, w = windows.pointer, inv = 1 / std
        for t in 0..<W {
            for b in 0..<B {
                xp[t * B + b] = (w[b * (W + 1) + t] - mean) * inv
                yp[t * B + b] = (w[b * (W + 1) + t + 1] - mean) * inv
            }
        }
        let h = rnn(Variable(x)).output
        return mseLoss(head(h.reshaped([W * B, hidden])), Variable(y))
    }

    /// The next `horizon` values after `history` (at least one value), predictions fed back.
    public func forecast(history: [Float], horizon: Int) -> [Float] {
        precondition(!history.isEmpty, "forecast: empty history")
        return inferenceMode {
            let inv = 1 / std
            let T = history.count
            let x = Tensor(history.map { ($0 - mean) * inv }, shape: [T, 1, 1])
            var (h, state) = rnn(Variable(x), state: nil)
            var value = head(h.slice((T - 1)..<T).reshaped([1, hidden])).value.item
            var out: [Float] = []
            for k in 0..<horizon {
                out.append(value * std + mean)
                if k == horizon - 1 { break }
                (h, state) = rnn(Variable(Tensor([value], shape: [1, 1, 1])), state: state)
                value = head(h.reshaped([1, hidden])).value.item
            }
            return out
        }
    }
}
