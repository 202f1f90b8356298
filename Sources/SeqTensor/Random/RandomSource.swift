/// A seeded generator shared by reference between the parts of a model that draw random
/// numbers (dropout masks, shuffling), so one seed fixes the whole run.
public final class RandomSource {
    public var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
}
