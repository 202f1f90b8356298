import ArgumentParser
import Datasets
import Foundation
import Framings
import Recurrent
import SeqTensor

/// `seqtool forecast`: many-to-many regression on series; multi-step forecasts of held-out tails.
struct ForecastCommand: ParsableCommand {
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
    var labelColumn: LabeledRows.LabelColumn = .none
    @Option(help: "Values held out at the end of every series and forecast.") var horizon = 50
    @Option(help: "Training window length (values per training sequence).") var window = 100
    @Option(help: "The cell.") var model: CellKind = .lstm
    @Option(help: "Hidden units.") var hidden = 64
    @Option(help: "Training steps (32 windows each).") var steps = 2000
    @Option(help: "Learning rate.") var lr: Float = 1e-2
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
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
    }

    func run() throws {
        compute.apply()
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        let series = try reporting { try readSeries() }
        printError(
            "forecast: \(series.count) series of \(series[0].count) values; horizon \(horizon), window \(window), "
                + "\(model.name) H=\(hidden), \(steps) steps"
        )
        let progress = Progress(total: steps, logEvery: max(1, steps / 10))
        let result = try reporting {
            try ForecastExperiment.run(
                series: series, horizon: horizon, window: window, cell: model, hidden: hidden, steps: steps,
                learningRate: lr, normalize: normalize, seed: seeding.seed
            ) { step, loss in
                progress.update(step: step, fields: [("mse", String(format: "%.5f", loss))], tokensPerSecond: nil)
            }
        }
        progress.finish()
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

    func readSeries() throws -> [[Float]] {
        let rows = try LabeledRows(csv: train, labelColumn: labelColumn)
        let F = rows.featureCount
        return (0..<rows.count).map { r in Array(rows.features.scalars[(r * F)..<((r + 1) * F)]) }
    }
}
