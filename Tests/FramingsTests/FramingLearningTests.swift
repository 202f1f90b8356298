import Datasets
import Feedforward
import Foundation
import Framings
import SeqTensor
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
        let steps = 1500
        let optimizer = Adam(model.parameters, learningRate: 1e-2)
        let schedule = LearningRateSchedule(base: 1e-2, decay: .cosine(totalSteps: steps, minimum: 1e-4))
        for s in 0..<steps {
            optimizer.learningRate = schedule.rate(at: s)
            let loss = model.loss(curves: curves, classes: Array(0..<10))
            try optimizer.minimize(loss, clip: 1, step: s + 1)
        }
        for k in 0..<10 {
            let drawn = model.generate(classIndex: k, length: 100)
            var mse: Float = 0
            for i in 0..<100 { mse += pow(drawn[i] - curves.pointer[k * 100 + i], 2) / 100 }
            XCTAssertLessThan(mse, 0.01, "class \(k) (omega \(SineDataset.omegas[k]))")
        }
    }

    /// Many-to-many: on noisy sine series, the 50-step forecast beats the naive "last value"
    /// forecast by at least 3x in RMSE on the held-out tails.
    func testForecasterBeatsTheNaiveForecast() throws {
        var g = SeededGenerator(seed: 3)
        let series = SineDataset.random(count: 2, points: 400, tMax: 40, noise: 0.1, generator: &g)
        let result = try ForecastExperiment.run(
            series: (0..<series.count).map { r in Array(series.features.scalars[(r * 400)..<(r * 400 + 400)]) },
            horizon: 50, window: 100, cell: .lstm, hidden: 64, steps: 2000, seed: 4)
        XCTAssertLessThanOrEqual(
            result.model.rmse * 3, result.naive.rmse, "model \(result.model), naive \(result.naive)")
    }

    /// Encoder-decoder: trains on `train` pairs, returns exact-match accuracy on `test` pairs.
    func seq2seqAccuracy(train: StringPairs, test: StringPairs, hidden: Int, steps: Int) throws -> Double {
        let characters = Set(
            (train.pairs + test.pairs).flatMap { Array($0.input.unicodeScalars) + Array($0.output.unicodeScalars) }
        ).sorted { $0.value < $1.value }
        let model = Seq2Seq(
            cell: .lstm, characters: characters, embedding: 16, hidden: hidden, layers: 1, random: RandomSource(seed: 5)
        )
        let sources = try train.pairs.map { try model.encode($0.input, source: "train") },
            targets = try train.pairs.map { try model.encode($0.output, source: "train") }
        let optimizer = Adam(model.parameters, learningRate: 5e-3)
        let schedule = LearningRateSchedule(base: 5e-3, decay: .cosine(totalSteps: steps, minimum: 1e-4))
        var g = SeededGenerator(seed: 6)
        for s in 0..<steps {
            let rows = (0..<64).map { _ in g.nextInt(below: sources.count) }
            optimizer.learningRate = schedule.rate(at: s)
            let loss = model.loss(sources: rows.map { sources[$0] }, targets: rows.map { targets[$0] })
            try optimizer.minimize(loss, clip: 1, step: s + 1)
        }
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
