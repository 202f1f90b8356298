import ArgumentParser
import Datasets
import Forecasting
import Foundation
import Recurrent
import SeqTensor
import Training

/// `seqtool forecast`: a global recurrent forecaster over the series of a file. `train` fits one
/// and writes it, `predict` forecasts past the end of each series with a written one, `evaluate`
/// holds out the last H values of each series and scores the forecaster beside the naive,
/// seasonal naive and SES forecasts.
struct ForecastCommand: CommandWithModes {
    static let modes: [(flag: String, command: any ParsableCommand.Type)] = [("--train", ForecastEvaluate.self)]

    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Forecast series (.tsf or CSV): train a global recurrent forecaster, predict, or evaluate it.",
        discussion: """
            One recurrent model learns from windows of every series of the file, each window scaled by its \
            own last value and mean absolute step; it forecasts the next H steps and their 10% and 90% \
            quantiles at once, and an --ensemble of N seeds forecasts the median of theirs.
              seqtool forecast evaluate --train m1_yearly.tsf --seed 1 --json
              seqtool forecast train --train Airline.csv --horizon 12 --season 12 --out air.safetensors
              seqtool forecast predict --model air.safetensors --input Airline.csv --csv next.csv --plot next.svg
            """,
        subcommands: [ForecastTrain.self, ForecastPredict.self, ForecastEvaluate.self, OlderSpelling<Self>.self],
        defaultSubcommand: OlderSpelling<Self>.self
    )
}

/// The training defaults of `forecast train` and `evaluate`: the library's.
enum ForecastDefaults: TrainingDefaults {
    static var options: TrainingOptions { ForecastTask.defaultOptions() }
}

/// `--layout` and `--label-column`: how a CSV file holds its series.
struct SeriesFileFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "CSV: columns (a time column, then one column per series), long (id,time,value), rows (one series per "
                + "row, no time) or auto (decided from the header).", valueName: "layout"))
    var layout: SeriesLayout = .auto
    @Option(name: .customLong("label-column"), help: "CSV rows: a label column to ignore (first or last).")
    var labelColumn: LabelColumn = .none

    /// The series of `path` (`flag` names it in errors).
    func read(_ path: String) throws -> TimeSeriesSet {
        try reporting { try TimeSeriesSet.read(path: path, layout: layout, labelColumn: labelColumn) }
    }
}

extension SeriesLayout: ExpressibleByArgument {}

/// The flags of the forecaster and its training, shared by `forecast train` and `evaluate`.
struct ForecasterFlags: ParsableArguments {
    /// The library's defaults, which are the flags'.
    static let library = ForecasterConfiguration(horizon: 1)

    @Option(help: "Steps to forecast (default: the .tsf file's @horizon, else by the frequency as Monash does).")
    var horizon: Int?
    @Option(
        help: ArgumentHelp(
            "Steps in a season: the lag of MASE's scale and of the seasonal naive forecast, and the period of "
                + "the model's seasonal inputs (default 1: none; seasonal inputs still follow a monthly, "
                + "quarterly, weekly, daily or hourly calendar)."))
    var season: Int?
    @Option(help: "Recurrent cell.") var cell: CellKind = Self.library.cell
    @Option(help: "Hidden units.") var hidden = Self.library.hidden
    @Option(help: "Stacked recurrent layers.") var layers = Self.library.layers
    @Option(help: "The most values of a series the model reads (default: 8 horizons, at least 3 seasons).")
    var window: Int?
    @Option(help: "Train N networks from seeds S, S+1, ...; forecast the median of theirs.")
    var ensemble = Self.library.members
    @Option(help: "Windows per network and step.") var batch = ForecastTask.defaultBatch
    @Option(help: "Training steps.") var steps = ForecastDefaults.options.steps
    @OptionGroup var optimization: OptimizerFlags<ForecastDefaults>
    @OptionGroup var scheduling: ScheduleFlags<ForecastDefaults>
    @OptionGroup var seeding: SeedOptions

    func validate() throws {
        try require(horizon.map { $0 > 0 && $0 <= 100_000 } ?? true, "--horizon", "must be in 1...100000")
        try require(season.map { $0 > 0 && $0 <= 100_000 } ?? true, "--season", "must be in 1...100000")
        try require(hidden > 0 && hidden <= 1 << 16, "--hidden", "must be in 1...65536")
        try require(layers > 0 && layers <= 64, "--layers", "must be in 1...64")
        try require(window.map { $0 > 1 && $0 <= 1_000_000 } ?? true, "--window", "must be in 2...1000000")
        try require(ensemble > 0 && ensemble <= 100, "--ensemble", "must be in 1...100")
        try require(batch > 0, "--batch", "must be positive")
        try require(steps > 0, "--steps", "must be positive")
    }

    /// The horizon: --horizon, else the file's, else the Monash archive's for the frequency.
    func horizon(for data: TimeSeriesSet) throws -> Int {
        if let horizon { return horizon }
        if let h = data.horizon { return h }
        let byFrequency: [Frequency: Int] = [
            Frequency(.year): 6, Frequency(.quarter): 8, Frequency(.month): 18, Frequency(.week): 13,
            Frequency(.day): 14, Frequency(.hour): 48,
        ]
        guard let h = data.frequency.flatMap({ byFrequency[$0] }) else {
            throw CommandError("--horizon is needed: \(data.source) gives no horizon and no frequency that implies one")
        }
        return h
    }

    /// The forecaster's configuration for `data` and `horizon`.
    func configuration(for data: TimeSeriesSet, horizon: Int) -> ForecasterConfiguration {
        let inputSeason = season.flatMap { $0 > 1 ? $0 : nil } ?? data.frequency?.seasonalPeriod ?? 1
        return ForecasterConfiguration(
            horizon: horizon, window: window, season: inputSeason, cell: cell, hidden: hidden, layers: layers,
            members: ensemble)
    }

    /// The training options the flags say.
    var options: TrainingOptions {
        var options = ForecastTask.defaultOptions(steps: steps)
        optimization.apply(to: &options)
        options.schedule = scheduling.schedule(base: optimization.lr, totalSteps: steps, epochSteps: 1)
        return options
    }

    /// The forecaster for `data` (missing values filled) and `horizon`, trained (resumed from
    /// `resume` when given, checkpointed to `out`); returns the run and its seconds of training.
    func train(_ data: TimeSeriesSet, horizon: Int, out: String? = nil, checkpointEvery: Int = 0, resume: Bool = false)
        throws -> (run: ForecastTraining, seconds: Double)
    {
        var options = self.options
        options.checkpointEvery = checkpointEvery
        let run = try reporting {
            try ForecastTraining(
                series: data, configuration: configuration(for: data, horizon: horizon), options: options,
                batch: batch, seed: seeding.seed)
        }
        run.session.checkpointPath = out
        if resume, let out { try resumeSession(run.session, from: out) }
        let c = run.forecaster.configuration
        let lengths = data.series.map(\.values.count)
        printError(
            "forecast: \(data.count) series of \(lengths.min()!)-\(lengths.max()!) values"
                + (data.frequency.map { " (\($0.name))" } ?? "") + ", horizon \(c.horizon)"
                + (c.season > 1 ? ", seasonal inputs of \(c.season) steps" : "")
                + "; \(c.cell.name) H=\(c.hidden)\(c.layers > 1 ? " x\(c.layers)" : ""), window \(c.window), "
                + "ensemble \(c.members); \(options.steps) steps of \(batch) windows")
        let progress = TrainingProgress(totalSteps: options.steps, logEvery: max(1, options.steps / 10))
        let (_, seconds) = try runTraining(run.session, progress: progress, what: "forecaster")
        return (run, seconds)
    }
}

/// `seqtool forecast train`.
struct ForecastTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a forecaster on every series of a file and write it.")

    @Option(help: "Series: a .tsf file, or CSV (a time column and one column per series, id,time,value, or rows).")
    var train: String
    @OptionGroup var file: SeriesFileFlags
    @OptionGroup var forecaster: ForecasterFlags
    @OptionGroup var checkpoints: CheckpointFlags<ForecastDefaults>
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Model file to write (safetensors).") var out: String
    @Option(help: "Also write the forecasts past the end of each series (series,time,forecast).") var csv: String?
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        compute.apply()
        try overwrite.check(out, flag: "--out") {
            checkpoints.resume || isSafeTensors($0, format: GlobalForecaster.format)
        }
        try overwrite.check(csv, flag: "--csv") { $0.lowercased().hasSuffix(".csv") }
        let data = try reporting { try file.read(train).fillingMissing() }
        let horizon = try forecaster.horizon(for: data)
        let (run, seconds) = try forecaster.train(
            data, horizon: horizon, out: out, checkpointEvery: checkpoints.checkpointEvery,
            resume: checkpoints.resume)
        try reporting { try run.session.saveModel(to: out) }
        print(String(format: "trained %d steps in %.1f s; model written to %@", run.session.step, seconds, out))
        if let csv {
            let forecasts = try reporting { try data.forecasts(of: run.forecaster) }
            try reporting { try AtomicFile.write(forecastCSV(data, forecasts, intervals: false), to: csv) }
            print("forecasts written to \(csv)")
        }
        output.emit([
            "steps": run.session.step, "seconds": seconds, "series": data.count, "horizon": horizon, "out": out,
            "final_loss": run.session.curves.recentTrainLoss(),
        ])
    }
}

/// `seqtool forecast evaluate`.
struct ForecastEvaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Hold out the last H values of each series, train, and score the forecasts beside baselines.",
        discussion: """
            MASE (scaled by the in-sample error of the seasonal naive forecast of lag --season), sMAPE and \
            RMSE, averaged over the series as the Monash archive does, for the forecaster and for seqtool's \
            own naive, seasonal naive and SES (statsforecast's definitions) forecasts of the same values.
            """)

    @Option(help: "Series: a .tsf file, or CSV (a time column and one column per series, id,time,value, or rows).")
    var train: String
    @OptionGroup var file: SeriesFileFlags
    @OptionGroup var forecaster: ForecasterFlags
    @Option(name: .customLong("model"), help: .hidden) var olderCell: CellKind?
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Write an SVG of the first series: history, held-out values, forecast and 80% interval.")
    var plot: String?
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        let start = Date()
        compute.apply()
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        var forecaster = self.forecaster
        if let olderCell {
            noteOlderSpelling("forecast --model CELL", "forecast evaluate --cell CELL")
            forecaster.cell = olderCell
        }
        let data = try file.read(train)
        let horizon = try forecaster.horizon(for: data)
        let season = forecaster.season ?? 1
        let evaluation = try reporting { try ForecastEvaluation(series: data, horizon: horizon, season: season) }
        let (run, _) = try forecaster.train(evaluation.histories, horizon: horizon)
        let forecasts = run.forecast()
        let scores = evaluation.scores(forecasts.map(\.point))
        let baselines = evaluation.baselineScores()
        let coverage = intervalCoverage(forecasts, evaluation.actuals)
        let seconds = Date().timeIntervalSince(start)
        print("last \(horizon) values of \(data.count) series held out; MASE with season \(season):")
        print("forecaster          MASE    sMAPE        RMSE")
        let rows =
            [("seqtool \(run.forecaster.configuration.cell.name)", scores)]
            + baselines.map {
                ($0.baseline.rawValue.replacingOccurrences(of: "_", with: " "), $0.scores)
            }
        for (name, s) in rows {
            print(
                name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%8.3f %8.2f %11.4g", s.mase, s.smape, s.rmse))
        }
        if let coverage {
            print(String(format: "80%% interval (10%%-90%% quantiles) covers %.1f%% of the values", coverage * 100))
        }
        if scores.scaledSeries < data.count {
            print(
                "\(data.count - scores.scaledSeries) series with a constant history have no MASE scale and are left out"
            )
        }
        if let plot, let first = forecasts.first {
            let svg = forecastPlot(
                name: evaluation.histories.series[0].name, history: evaluation.histories.series[0].values,
                actual: evaluation.actuals[0], forecast: first)
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
        }
        var summary: [String: Any] = [
            "mase": scores.mase, "smape": scores.smape, "rmse": scores.rmse, "mae": scores.mae, "seconds": seconds,
            "horizon": horizon, "season": season, "series": data.count, "steps": run.session.step,
            "ensemble": run.forecaster.members.count, "cell": run.forecaster.configuration.cell.name,
        ]
        summary["baselines"] = Dictionary(
            uniqueKeysWithValues: baselines.map {
                (
                    $0.baseline.rawValue,
                    ["mase": $0.scores.mase, "smape": $0.scores.smape, "rmse": $0.scores.rmse] as [String: Any]
                )
            })
        if let coverage { summary["interval_coverage"] = coverage }
        output.emit(summary)
    }
}

/// The share of held-out values between the 10% and 90% quantile forecasts (nil without them).
func intervalCoverage(_ forecasts: [SeriesForecast], _ actuals: [[Float]]) -> Double? {
    var inside = 0, total = 0
    for (f, actual) in zip(forecasts, actuals) {
        guard let low = f.quantile(0.1), let high = f.quantile(0.9) else { return nil }
        for (h, y) in actual.enumerated() {
            inside += low[h] <= y && y <= high[h] ? 1 : 0
            total += 1
        }
    }
    return total > 0 ? Double(inside) / Double(total) : nil
}

/// Rows `series,time,forecast` (and every other quantile with `intervals`), one per series and step.
func forecastCSV(_ data: TimeSeriesSet, _ forecasts: [SeriesForecast], intervals: Bool) -> String {
    let others = forecasts.first.map { f in f.quantiles.filter { $0 != 0.5 } } ?? []
    var text = "series,time,forecast" + (intervals ? others.map { ",q\($0)" }.joined() : "") + "\n"
    for (k, f) in forecasts.enumerated() {
        let s = data.series[k], point = f.point
        let name =
            s.name.contains(",") || s.name.contains("\"")
            ? "\"\(s.name.replacingOccurrences(of: "\"", with: "\"\""))\"" : s.name
        for h in 0..<point.count {
            text += "\(name),\(data.time(series: k, step: s.values.count + h)),\(point[h])"
            if intervals { for q in others { text += ",\(f.quantile(q)![h])" } }
            text += "\n"
        }
    }
    return text
}

/// A plot of one series: its history, the held-out values (if any), the forecast and its 80% interval.
func forecastPlot(name: String, history: [Float], actual: [Float]?, forecast: SeriesForecast) -> SVGPlot {
    let n = history.count
    func points(_ values: [Float], from start: Int) -> [(Double, Double)] {
        values.enumerated().map { (Double(start + $0.offset), Double($0.element)) }
    }
    var series: [SVGPlot.Series] = [.init(name: "history", points: points(history, from: 0), color: "#7f7f7f")]
    if let actual { series.append(.init(name: "held out", points: points(actual, from: n), color: "#1f77b4")) }
    series.append(.init(name: "forecast", points: points(forecast.point, from: n), color: "#d62728"))
    if let low = forecast.quantile(0.1), let high = forecast.quantile(0.9) {
        series.append(.init(name: "10% quantile", points: points(low, from: n), color: "#ff9896"))
        series.append(.init(name: "90% quantile", points: points(high, from: n), color: "#ff9896"))
    }
    return SVGPlot(
        title: "Forecast of series \(name) (\(forecast.point.count) steps)", xLabel: "step", yLabel: "value",
        series: series, xScale: .integer)
}
