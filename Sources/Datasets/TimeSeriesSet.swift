import Foundation
import SeqTensor

/// One series to forecast: its name, the time of its first value and its values (NaN where a
/// value is missing).
public struct TimeSeries: Sendable, Equatable {
    /// The name the file gives it (`T1`, a column's header), or its number.
    public var name: String
    /// The time of `values[0]`.
    public var start: TimeStamp
    /// The observations, oldest first; NaN marks a missing one.
    public var values: [Float]

    /// A series `name` of `values` starting at `start`.
    public init(name: String, start: TimeStamp, values: [Float]) {
        (self.name, self.start, self.values) = (name, start, values)
    }
}

/// How a CSV file holds its series.
public enum SeriesLayout: String, CaseIterable, Sendable {
    /// Decided from the file: a header whose first column is an id (`id`, `unique_id`, ...) and
    /// three columns: `long`; a header over a first column of time stamps: `columns`; rows of
    /// numbers without a header: `rows`.
    case auto
    /// A time column first, then one column per series (a header names them).
    case columns
    /// Three columns `id,time,value`, one row per observation.
    case long
    /// One series per row, no time column (a label column may be named with `LabelColumn`).
    case rows
}

/// Series to forecast as a file holds them, with what it says about them: the frequency, the
/// horizon the file asks for, and the step between step numbers.
///
/// Read from the Monash forecasting archive's `.tsf` format (`init(tsf:)`) or CSV
/// (`init(csv:layout:labelColumn:)`): a time column and one column per series (Airline,
/// `Date,Passengers`), the long format `id,time,value`, or one series per row (`seqtool
/// make-sine`). `read(path:layout:labelColumn:)` picks the reader by the file's extension.
public struct TimeSeriesSet: Sendable {
    /// The series.
    public var series: [TimeSeries]
    /// How often they are observed (nil where the time stamps are step numbers or absent).
    public var frequency: Frequency?
    /// The step between consecutive step numbers (`1821, 1822, ...`: 1).
    public var numberStep: Int
    /// The horizon the file asks for (`.tsf`'s `@horizon`), if any.
    public var horizon: Int?
    /// Where the series were read from, named in errors.
    public var source: String

    /// A set of `series` observed at `frequency`.
    public init(
        series: [TimeSeries], frequency: Frequency? = nil, numberStep: Int = 1, horizon: Int? = nil,
        source: String = "series"
    ) {
        (self.series, self.frequency, self.numberStep, self.horizon, self.source) = (
            series, frequency, numberStep, horizon, source
        )
    }

    /// Reads `path`: the `.tsf` format when its name ends in `.tsf`, CSV otherwise (`layout`;
    /// `labelColumn` for `rows`).
    public static func read(path: String, layout: SeriesLayout = .auto, labelColumn: LabelColumn = .none) throws
        -> TimeSeriesSet
    {
        path.lowercased().hasSuffix(".tsf")
            ? try TimeSeriesSet(tsf: path) : try TimeSeriesSet(csv: path, layout: layout, labelColumn: labelColumn)
    }

    /// Series in the set.
    public var count: Int { series.count }

    /// The time stamp of step `step` of series `index` (steps past its end continue the calendar).
    public func time(series index: Int, step: Int) -> TimeStamp {
        series[index].start.advanced(by: step, frequency: frequency, numberStep: numberStep)
    }

    /// Missing values in all series.
    public var missingCount: Int { series.reduce(0) { $0 + $1.values.filter(\.isNaN).count } }

    /// The set with every missing value filled with the last value observed before it (missing
    /// values at the start of a series are dropped, and its start moved on); a series with no
    /// value at all is an error naming it.
    public func fillingMissing() throws -> TimeSeriesSet {
        var filled = self
        for (k, s) in series.enumerated() {
            guard let first = s.values.firstIndex(where: { !$0.isNaN }) else {
                throw DataError(file: source, problem: "series \(s.name) has no values (all are missing)")
            }
            var values = Array(s.values[first...])
            for i in values.indices where values[i].isNaN { values[i] = values[i - 1] }
            filled.series[k] = TimeSeries(
                name: s.name, start: s.start.advanced(by: first, frequency: frequency, numberStep: numberStep),
                values: values)
        }
        return filled
    }
}

extension TimeSeriesSet {
    /// The frequency (and step between step numbers) of consecutive time stamps `a` and `b`;
    /// nil when `b` is not after `a` or they are of different styles.
    static func step(from a: TimeStamp, to b: TimeStamp) -> (frequency: Frequency?, numberStep: Int)? {
        guard b.value > a.value else { return nil }
        switch (a.style, b.style) {
        case (.number, .number): return (nil, b.value - a.value)
        case (.number, _), (_, .number): return nil
        default: break
        }
        guard a.style == b.style else { return nil }
        let day = 86_400
        let (ya, ma, da) = TimeStamp.civil(days: floorDivide(a.value, day))
        let (yb, mb, db) = TimeStamp.civil(days: floorDivide(b.value, day))
        let months = (yb - ya) * 12 + (mb - ma)
        let monthEnds = da == TimeStamp.daysIn(month: ma, year: ya) && db == TimeStamp.daysIn(month: mb, year: yb)
        if (da == db || monthEnds) && a.value % day == b.value % day && months > 0 {
            let frequency =
                months % 12 == 0
                ? Frequency(.year, count: months / 12)
                : months % 3 == 0 ? Frequency(.quarter, count: months / 3) : Frequency(.month, count: months)
            return (frequency, 1)
        }
        let seconds = b.value - a.value
        for unit in [Frequency.Unit.week, .day, .hour, .minute, .second] where seconds % unit.size == 0 {
            return (Frequency(unit, count: seconds / unit.size), 1)
        }
        return nil
    }
}
