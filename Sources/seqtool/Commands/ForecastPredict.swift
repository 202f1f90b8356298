import ArgumentParser
import Datasets
import Forecasting
import Foundation
import SeqTensor

/// `seqtool forecast predict`: the steps after the end of every series of a file, from a
/// forecaster `forecast train` wrote.
struct ForecastPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Forecast the steps after the end of each series with a trained forecaster.",
        discussion: """
            One row per series and step: series,time,forecast, the time stamps continuing the series' \
            own (by the file's frequency, or its step numbers); --intervals adds the 10% and 90% quantiles.
            """)

    @Option(help: "Forecaster file written by forecast train --out.") var model: String
    @Option(help: "Series to forecast: a .tsf file, or CSV.") var input: String
    @OptionGroup var file: SeriesFileFlags
    @Option(help: "Write the forecasts to this CSV file (default: standard output).") var csv: String?
    @Flag(help: "Add a column per quantile besides the median (q0.1, q0.9).") var intervals = false
    @Option(help: "Write an SVG of the first series: its history, the forecast and its 80% interval.")
    var plot: String?
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        compute.apply()
        try overwrite.check(csv, flag: "--csv") { $0.lowercased().hasSuffix(".csv") }
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        let forecaster = try reporting { try GlobalForecaster.load(path: model) }
        let data = try reporting { try file.read(input).fillingMissing() }
        let forecasts = try reporting { try data.forecasts(of: forecaster) }
        let text = forecastCSV(data, forecasts, intervals: intervals)
        if let csv {
            try reporting { try AtomicFile.write(text, to: csv) }
            print(
                "forecasts of \(data.count) series, \(forecaster.configuration.horizon) steps each, written to \(csv)")
        } else {
            print(text, terminator: "")
        }
        if let plot, let first = forecasts.first {
            let svg = forecastPlot(
                name: data.series[0].name, history: data.series[0].values, actual: nil, forecast: first)
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
        }
        output.emit([
            "series": data.count, "horizon": forecaster.configuration.horizon,
            "members": forecaster.members.count, "out": csv ?? "",
        ])
    }
}
