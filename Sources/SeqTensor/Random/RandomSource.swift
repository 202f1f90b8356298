/// A seeded generator shared by reference between the parts of a model that draw random
/// numbers (dropout masks, shuffling), so one seed fixes the whole run.
public final class RandomSource {
    /// The generator; layers draw their initial weights and dropout masks from it in order.
    public var generator: SeededGenerator

    /// A source seeded with `seed`: the same seed gives the same models and masks.
    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
}
