import ArgumentParser
import Datasets
import Foundation
import Framings
import Recurrent
import SeqTensor
import Training

/// `seqtool forecast`: many-to-many regression on series; multi-step forecasts of held-out tails.
struct ForecastCommand: ParsableCommand {
    enum Defaults: TrainingDefaults {
        static var options: TrainingOptions { ForecastExperiment.defaultOptions() }
    }

    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Train a next-value forecaster on series (CSV, one per row) and forecast each series' held-out tail.",
        discussion: """
              seqtool make-sine --out series.csv --phases random --count 2 --points 400 --t-max 40 --noise 0.1
              seqtool forecast --train series.csv --label-column first --horizon 50 --json
            """
    )

    @Option(help: "CSV of series, one per row.") var train: String
    @Option(name: .customLong("label-column"), help: "A label column to ignore.")
    var labelColumn: LabelColumn = .none
    @Option(help: "Values held out at the end of every series and forecast.") var horizon = 50
    @Option(help: "Training window length (values per training sequence).") var window = 100
    @Option(help: "Recurrent cell.") var cell: CellKind = .lstm
    @Option(name: .customLong("model"), help: .hidden) var olderCell: CellKind?
    @Option(help: "Hidden units.") var hidden = 64
    @Option(help: "Training steps (32 windows each).") var steps = Defaults.options.steps
    @OptionGroup var optimization: OptimizerFlags<Defaults>
    @OptionGroup var scheduling: ScheduleFlags<Defaults>
    @Flag(inversion: .prefixedNo, help: "Standardise values with the training mean and deviation.") var normalize = true
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions
    @Option(help: "Write an SVG of the first series: history, truth and forecast.") var plot: String?
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        try require(horizon > 0, "--horizon", "must be positive")
        try require(window > 1, "--window", "must be at least 2")
        try require(hidden > 0 && steps > 0, "--hidden/--steps", "must be positive")
    }

    func run() throws {
        compute.apply()
        if olderCell != nil { noteOlderSpelling("forecast --model", "forecast --cell") }
        let cell = olderCell ?? self.cell
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        let rows = try reporting { try LabeledSeries(csv: train, labelColumn: labelColumn) }
        let series = rows.values
        printError(
            "forecast: \(series.count) series of \(series[0].count) values; horizon \(horizon), window \(window), "
                + "\(cell.name) H=\(hidden), \(steps) steps")
        var options = ForecastExperiment.defaultOptions(steps: steps)
        optimization.apply(to: &options)
        options.schedule = scheduling.schedule(base: optimization.lr, totalSteps: steps, epochSteps: 1)
        let experiment = try reporting {
            try ForecastExperiment(
                series: series, horizon: horizon, window: window, cell: cell, hidden: hidden, options: options,
                normalize: normalize, seed: seeding.seed)
        }
        let progress = TrainingProgress(totalSteps: steps, logEvery: max(1, steps / 10))
        _ = try runTraining(experiment.session, progress: progress, what: "")
        let result = experiment.result()
        print("\(horizon)-step forecast of the held-out tails: model \(result.model); naive last value \(result.naive)")
        if let plot, let first = result.forecasts.first {
            let h = first.history.count
            let svg = SVGPlot(
                title: "Forecast of series 1 (\(horizon) steps)", xLabel: "step", yLabel: "value",
                series: [
                    .init(
                        name: "history",
                        points: first.history.enumerated().map { (Double($0.offset), Double($0.element)) },
                        color: "#7f7f7f"),
                    .init(
                        name: "truth",
                        points: first.truth.enumerated().map { (Double(h + $0.offset), Double($0.element)) },
                        color: "#1f77b4"),
                    .init(
                        name: "forecast",
                        points: first.forecast.enumerated().map { (Double(h + $0.offset), Double($0.element)) },
                        color: "#d62728"),
                ], xScale: .integer)
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
        }
        output.emit([
            "rmse": result.model.rmse, "mae": result.model.mae, "naive_rmse": result.naive.rmse,
            "naive_mae": result.naive.mae, "horizon": horizon, "series": series.count, "steps": steps,
        ])
    }
}
