import Datasets
import Foundation
import Recurrent
import SeqTensor
import Training

/// A global forecaster's training as `seqtool forecast train` and `evaluate` run it, with the
/// same defaults: the forecaster built for the data (its season and frequency), its task and
/// the session that trains it.
///
///     let data = try TimeSeriesSet.read(path: "m1_yearly.tsf").fillingMissing()
///     let run = try ForecastTraining(series: data, configuration: ForecasterConfiguration(horizon: 6))
///     try run.session.run()
///     let forecasts = run.forecast()          // the 6 steps after the end of every series
public final class ForecastTraining {
    /// The series trained on (missing values filled).
    public let series: TimeSeriesSet
    /// Where each series' first value sits in the season.
    public let phases: [Int]
    /// The model, its task and the session that trains it.
    public let forecaster: GlobalForecaster
    public let task: ForecastTask
    public let session: TrainingSession

    /// A fresh forecaster of `configuration` for `series` (its frequency, and the season's
    /// positions from the calendar where the frequency's season is `configuration.season`),
    /// member k drawn from seed `seed + k`, trained with `options` (by default
    /// `ForecastTask.defaultOptions()`), `batch` windows a member and step.
    public init(
        series: TimeSeriesSet, configuration: ForecasterConfiguration, options: TrainingOptions? = nil,
        batch: Int = ForecastTask.defaultBatch, seed: UInt64 = 1
    ) throws {
        precondition(series.series.allSatisfy { !$0.values.contains(where: \.isNaN) }, "fill missing values first")
        var configuration = configuration
        configuration.frequency = series.frequency
        let (phases, calendar) = series.seasonPositions(season: configuration.season)
        configuration.calendarSeason = calendar
        if let problem = configuration.problem { throw DataError(file: series.source, problem: problem) }
        let randoms = (0..<configuration.members).map { RandomSource(seed: seed &+ UInt64($0)) }
        forecaster = GlobalForecaster(configuration, randoms: randoms)
        task = try ForecastTask(
            model: forecaster, histories: series.series.map(\.values), phases: phases, batch: batch, randoms: randoms)
        session = TrainingSession(task: task, options: options ?? ForecastTask.defaultOptions())
        (self.series, self.phases) = (series, phases)
    }

    /// The trained forecaster's forecasts of the steps after the end of every series.
    public func forecast() -> [SeriesForecast] { forecaster.forecast(series.series.map(\.values), phases: phases) }
}

extension TimeSeriesSet {
    /// Where each series' first value sits in a season of `season` steps, and whether that comes
    /// from the calendar (the frequency's own season, `Frequency.seasonalPeriod`, and calendar
    /// time stamps: the month of the year, the day of the week, ...) or, otherwise, from the step
    /// number in the series (0 for every first value).
    public func seasonPositions(season: Int) -> (phases: [Int], calendar: Bool) {
        guard season > 1, let frequency, frequency.seasonalPeriod == season,
            series.allSatisfy({ $0.start.isCalendar })
        else { return (Array(repeating: 0, count: series.count), false) }
        return (series.map { $0.start.phase(period: season, frequency: frequency) ?? 0 }, true)
    }

    /// Forecasts of `model` for the steps after the end of every series (missing values filled
    /// first); an error when the data's frequency is not the model's and the model reads the
    /// season from the calendar.
    public func forecasts(of model: GlobalForecaster) throws -> [SeriesForecast] {
        let c = model.configuration
        let filled = try fillingMissing()
        var phases = Array(repeating: 0, count: count)
        if c.calendarSeason {
            let (positions, calendar) = filled.seasonPositions(season: c.season)
            guard calendar, filled.frequency == c.frequency else {
                throw DataError(
                    file: source,
                    problem: "holds \(frequency?.name ?? "undated") series; the model was trained on "
                        + "\(c.frequency?.name ?? "undated") series and reads the season from their dates")
            }
            phases = positions
        }
        return model.forecast(filled.series.map(\.values), phases: phases)
    }
}
