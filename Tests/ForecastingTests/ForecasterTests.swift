import Datasets
import Foundation
import SeqTensor
import Training
import XCTest

@testable import Forecasting

/// The global forecaster: its inputs, its file, its training (exact resume) and what it learns.
final class ForecasterTests: XCTestCase {
    /// Monthly series of different levels and trends with a yearly season and noise.
    func seasonalSeries(count: Int, length: Int, seed: UInt64) -> TimeSeriesSet {
        var g = SeededGenerator(seed: seed)
        let series = (0..<count).map { k in
            let level = 50 + 100 * g.nextFloat(), trend = g.nextFloat(in: -1, 2), amplitude = g.nextFloat(in: 5, 20)
            let values = (0..<length).map { t in
                level + trend * Float(t) + amplitude * sin(2 * Float.pi * Float(t) / 12) + 2 * g.nextNormal()
            }
            return TimeSeries(name: "s\(k)", start: TimeStamp("2000-01")!, values: values)
        }
        return TimeSeriesSet(series: series, frequency: Frequency(.month), source: "synthetic")
    }

    func testInputsAreScaledByEachWindow() {
        let inputs = ForecastInputs(
            windows: [[2, 4, 3, 7][...], [5, 5][...]], phases: [0, 0], season: 1, rule: .lastValueMeanStep)
        XCTAssertEqual(inputs.locations, [7, 5])
        // Mean absolute step (2 + 1 + 4) / 3; a constant window falls back to its mean absolute value.
        XCTAssertEqual(inputs.scales[0], 7.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(inputs.scales[1], 5)
        XCTAssertEqual(inputs.features.shape, [4, 2, 2])
        XCTAssertEqual(inputs.lengths, [4, 2])
        let p = inputs.features.pointer
        // Step 0 of window 0: level (2 - 7) / (s * 3), step 0; step 3: step (7 - 3) / s.
        XCTAssertEqual(p[0], -5 / (7.0 / 3 * 3), accuracy: 1e-6)
        XCTAssertEqual(p[1], 0)
        XCTAssertEqual(p[(3 * 2) * 2 + 1], 4 / (7.0 / 3), accuracy: 1e-6)
    }

    /// A file written and read back forecasts the same numbers; a missing tensor or another
    /// format is an error naming the file and what is wrong.
    func testFileRoundTripAndErrors() throws {
        let c = ForecasterConfiguration(
            horizon: 3, window: 10, season: 12, frequency: Frequency(.month),
            calendarSeason: true, cell: .gru, hidden: 5, layers: 2, members: 2)
        let model = GlobalForecaster(c, randoms: [RandomSource(seed: 1), RandomSource(seed: 2)])
        let path = NSTemporaryDirectory() + "forecaster-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try GlobalForecaster.load(path: path)
        XCTAssertEqual(loaded.configuration, c)
        let histories: [[Float]] = [[1, 3, 2, 5, 4, 6, 8, 7, 9, 12, 11, 13], [4, 4.5]]
        XCTAssertEqual(loaded.forecast(histories, phases: [3, 7]), model.forecast(histories, phases: [3, 7]))
        var file = try SafeTensors.read(path: path)
        file.tensors["members.1.head.bias"] = nil
        XCTAssertThrowsError(try GlobalForecaster.load(file, path: "m.safetensors")) {
            XCTAssertTrue("\($0)".contains("m.safetensors") && "\($0)".contains("members.1.head.bias"), "\($0)")
        }
        file.metadata["format"] = "seqtool.generator.v1"
        XCTAssertThrowsError(try GlobalForecaster.load(file, path: "m.safetensors")) {
            XCTAssertTrue("\($0)".contains("not a forecaster"), "\($0)")
        }
    }

    /// The forecast is the members' median of each quantile and step, on the series' scale,
    /// quantiles in order.
    func testEnsembleForecastIsTheMembersMedian() {
        let c = ForecasterConfiguration(horizon: 2, window: 6, hidden: 4, members: 3)
        let model = GlobalForecaster(c, randoms: (1...3).map { RandomSource(seed: $0) })
        let history: [Float] = [10, 12, 11, 14, 13, 15]
        let inputs = ForecastInputs(windows: [history[...]], phases: [0], season: 1, rule: .lastValueMeanStep)
        let outputs = model.inferenceMode { model.members.map { $0(inputs).value.scalars } }
        let forecast = model.forecast([history], phases: [0])[0]
        for h in 0..<2 {
            let column = (0..<3).map { q in
                15 + inputs.scales[0] * outputs.map { $0[h * 3 + q] }.sorted()[1]
            }.sorted()
            for q in 0..<3 { XCTAssertEqual(forecast.values[q][h], column[q], accuracy: 1e-4) }
            XCTAssertEqual(forecast.point[h], column[1], accuracy: 1e-4)
        }
    }

    /// A run checkpointed half way and resumed gives the same losses and weights as one that
    /// never stopped.
    func testResumeIsExact() throws {
        let data = seasonalSeries(count: 4, length: 40, seed: 3)
        let c = ForecasterConfiguration(horizon: 4, window: 12, season: 12, hidden: 6, members: 2)
        let path = NSTemporaryDirectory() + "forecast-resume-\(getpid()).safetensors"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: TrainingCheckpoint.statePath(forModel: path))
        }
        let whole = try ForecastTraining(
            series: data, configuration: c, options: ForecastTask.defaultOptions(steps: 20), batch: 8, seed: 5)
        try whole.session.run()
        var options = ForecastTask.defaultOptions(steps: 20)
        options.checkpointEvery = 10
        let first = try ForecastTraining(series: data, configuration: c, options: options, batch: 8, seed: 5)
        first.session.checkpointPath = path
        first.session.interruptRequested = { first.session.step == 10 }
        XCTAssertEqual(try first.session.run(), .interrupted)
        let second = try ForecastTraining(series: data, configuration: c, options: options, batch: 8, seed: 5)
        try second.session.restore(
            from: TrainingCheckpoint(SafeTensors.read(path: TrainingCheckpoint.statePath(forModel: path)), path: path))
        try second.session.run()
        XCTAssertEqual(second.session.curves.train.map(\.loss), whole.session.curves.train.map(\.loss))
        XCTAssertEqual(second.forecast(), whole.forecast())
    }

    /// On seasonal series with trends the forecaster, trained on their heads, beats the seasonal
    /// naive forecast of their held-out tails by a wide margin.
    func testLearnsSeasonalSeriesBetterThanSeasonalNaive() throws {
        let data = seasonalSeries(count: 20, length: 72, seed: 7)
        let evaluation = try ForecastEvaluation(series: data, horizon: 12, season: 12)
        let configuration = ForecasterConfiguration(horizon: 12, window: 36, season: 12, members: 1)
        let run = try ForecastTraining(series: evaluation.histories, configuration: configuration, seed: 1)
        XCTAssertTrue(run.forecaster.configuration.calendarSeason)
        try run.session.run()
        let model = evaluation.scores(run.forecast().map(\.point))
        let seasonal = evaluation.scores(evaluation.forecasts(of: .seasonalNaive))
        XCTAssertLessThan(model.mase, 0.6 * seasonal.mase, "model \(model), seasonal naive \(seasonal)")
    }
}
