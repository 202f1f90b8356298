/// The training loss at every step and the validation loss at every evaluation, kept in the
/// training state's metadata ("step:loss,step:loss") so that a resumed run continues its curves.
public struct LossCurves: Sendable {
    /// (step, training loss) of every step.
    public var train: [(step: Int, loss: Float)] = []
    /// (step, validation loss) of every evaluation that scored a loss.
    public var validation: [(step: Int, loss: Float)] = []

    /// Empty curves.
    public init() {}

    /// The curves a checkpoint's `metadata` holds (empty where it holds none).
    public init(_ metadata: [String: String]) {
        train = Self.decode(metadata["train_curve"])
        validation = Self.decode(metadata["val_curve"])
    }

    /// The curves as metadata entries.
    public var metadata: [String: String] { ["train_curve": Self.encode(train), "val_curve": Self.encode(validation)] }

    /// The mean of the last `count` training losses (NaN before the first step).
    public func recentTrainLoss(_ count: Int = 20) -> Float {
        let recent = train.suffix(count).map(\.loss)
        return recent.isEmpty ? .nan : recent.reduce(0, +) / Float(recent.count)
    }

    static func encode(_ curve: [(step: Int, loss: Float)]) -> String {
        curve.map { "\($0.step):\($0.loss)" }.joined(separator: ",")
    }

    static func decode(_ text: String?) -> [(step: Int, loss: Float)] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let s = Int(parts[0]), let l = Float(parts[1]) else { return nil }
            return (s, l)
        }
    }
}
