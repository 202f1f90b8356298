import Datasets
import Feedforward
import Foundation
import Framings
import SeqTensor
import Training
import XCTest

/// Each task framing learns its demo at small size.
final class FramingLearningTests: XCTestCase {
    /// One-to-many: the sine of every omega class (phase 0), from the class alone, run free on the
    /// tutorial's grid taken every 10th point (100 points over [0, 10]).
    func testGeneratorDrawsEverySineClassFromTheClassAlone() throws {
        var g = SeededGenerator(seed: 1)
        let rows = SineDataset.rows(phases: Array(repeating: [0], count: 10), points: 1000, generator: &g)
        let curves = Tensor(
            (0..<10).flatMap { r in (0..<100).map { rows.features.pointer[r * 1000 + 10 * $0] } }, shape: [10, 100])
        let model = SequenceGenerator(cell: .lstm, hidden: 64, classCount: 10, random: RandomSource(seed: 2))
        var options = GeneratorTask.defaultOptions(steps: 1500)
        options.schedule.decay = .cosine(totalSteps: 1500, minimum: 1e-4)
        let task = GeneratorTask(model: model, curves: LabeledRows(features: curves, labels: Array(0..<10)))
        try TrainingSession(task: task, options: options).run()
        for k in 0..<10 {
            let drawn = model.generate(classIndex: k, length: 100)
            var mse: Float = 0
            for i in 0..<100 { mse += pow(drawn[i] - curves.pointer[k * 100 + i], 2) / 100 }
            XCTAssertLessThan(mse, 0.01, "class \(k) (omega \(SineDataset.omegas[k]))")
        }
    }

    /// Encoder-decoder: trains on `train` pairs, returns exact-match accuracy on `test` pairs.
    func seq2seqAccuracy(train: StringPairs, test: StringPairs, hidden: Int, steps: Int) throws -> Double {
        let characters = Set(
            (train.pairs + test.pairs).flatMap { Array($0.input.unicodeScalars) + Array($0.output.unicodeScalars) }
        ).sorted { $0.value < $1.value }
        let model = Seq2Seq(
            cell: .lstm, characters: characters, embedding: 16, hidden: hidden, layers: 1, random: RandomSource(seed: 5)
        )
        var options = Seq2SeqTask.defaultOptions(steps: steps)
        options.schedule = LearningRateSchedule(base: 5e-3, decay: .cosine(totalSteps: steps, minimum: 1e-4))
        let task = try Seq2SeqTask(model: model, pairs: train, source: "train", batch: 64, seed: 6)
        try TrainingSession(task: task, options: options).run()
        let decoded = model.greedy(try test.pairs.map { try model.encode($0.input, source: "test") }, maxLength: 20)
        return Double(zip(decoded, test.pairs).filter { model.decode($0.0) == $0.1.output }.count)
            / Double(test.pairs.count)
    }

    func testEncoderDecoderReversesUnseenDigitStrings() throws {
        var g = SeededGenerator(seed: 7)
        let train = StringPairs.reverse(count: 5000, minDigits: 3, maxDigits: 6, generator: &g)
        let seen = Set(train.pairs.map(\.input))
        let test = StringPairs(
            pairs: StringPairs.reverse(count: 400, minDigits: 6, maxDigits: 6, generator: &g).pairs.filter {
                !seen.contains($0.input)
            })
        XCTAssertGreaterThan(try seq2seqAccuracy(train: train, test: test, hidden: 64, steps: 800), 0.9)
    }

    func testEncoderDecoderAddsUnseenPairs() throws {
        var g = SeededGenerator(seed: 8)
        let train = StringPairs.addition(count: 7000, maxDigits: 2, generator: &g)
        let seen = Set(train.pairs.map(\.input))
        let test = StringPairs(
            pairs: StringPairs.addition(count: 1000, maxDigits: 2, generator: &g).pairs.filter {
                !seen.contains($0.input)
            })
        XCTAssertGreaterThan(test.pairs.count, 100)
        XCTAssertGreaterThan(try seq2seqAccuracy(train: train, test: test, hidden: 128, steps: 3000), 0.9)
    }
}
