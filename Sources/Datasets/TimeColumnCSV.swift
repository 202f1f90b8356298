import Foundation
import SeqTensor

/// Series to forecast from CSV: a time column and one column per series, the long format
/// `id,time,value`, or one series per row.
extension TimeSeriesSet {
    /// The names of an id column that mark the long format (`id,time,value`).
    static let idColumnNames: Set<String> = [
        "id", "unique_id", "series", "series_id", "series_name", "item_id", "name",
    ]

    /// Reads the CSV file at `path` in `layout` (`labelColumn`: where `rows` have a label, which
    /// is ignored). Time stamps must be one step apart (the step is the first two's: a month, a
    /// quarter, a day, ... or a difference of step numbers); an empty field, `?`, `NA` or `NaN`
    /// is a missing value. Errors name the file, the line and the column.
    public init(csv path: String, layout: SeriesLayout = .auto, labelColumn: LabelColumn = .none) throws {
        try self.init(
            csvText: readUserText(path, kind: "a CSV file"), source: path, layout: layout, labelColumn: labelColumn)
    }

    /// Parses CSV text as `init(csv:layout:labelColumn:)` reads a file; `source` names it in errors.
    public init(csvText text: String, source: String, layout: SeriesLayout = .auto, labelColumn: LabelColumn = .none)
        throws
    {
        let lines = nonBlankLines(text)
        guard let first = lines.first else { throw DataError(file: source, problem: "holds no data rows") }
        let firstFields = csvFields(first.text)
        // A header names its columns: a first line whose every field is a number or a time stamp
        // (`2020-01,5,6`), or an id, a time stamp and a number (`A,2020-01,5`), is data.
        let isLongRow =
            firstFields.count == 3 && TimeStamp(firstFields[0]) == nil && TimeStamp(firstFields[1]) != nil
            && Double(firstFields[2]) != nil
        let hasHeader =
            !isLongRow && firstFields.contains { !Self.isMissing($0) && Double($0) == nil && TimeStamp($0) == nil }
        var chosen = layout
        if layout == .auto {
            if !hasHeader {
                chosen =
                    isLongRow
                    ? .long : Double(firstFields[0]) == nil && TimeStamp(firstFields[0]) != nil ? .columns : .rows
            } else if firstFields.count == 3, Self.idColumnNames.contains(Self.unquoted(firstFields[0]).lowercased()) {
                chosen = .long
            } else if let row = lines.dropFirst().first.map({ csvFields($0.text) }), row.count == 3,
                TimeStamp(row[0]) == nil, TimeStamp(row[1]) != nil
            {
                chosen = .long
            } else {
                chosen = .columns
            }
        }
        switch chosen {
        case .rows:
            let rows = try LabeledSeries(csvText: text, source: source, labelColumn: labelColumn)
            self.init(
                series: rows.values.enumerated().map {
                    TimeSeries(
                        name: String($0.offset + 1), start: TimeStamp(value: 0, style: .number), values: $0.element)
                }, source: source)
        case .long: try self.init(long: lines, hasHeader: hasHeader, source: source)
        case .columns, .auto: try self.init(columns: lines, hasHeader: hasHeader, source: source)
        }
    }

    /// A time column, then one column per series. A first column without a name (`""`,
    /// `Unnamed: 0`: a row index that pandas wrote) before a column of time stamps is skipped.
    init(columns lines: [(number: Int, text: Substring)], hasHeader: Bool, source: String) throws {
        let header = hasHeader ? csvFields(lines[0].text) : nil
        let rows = hasHeader ? Array(lines.dropFirst()) : lines
        guard let firstRow = rows.first else { throw DataError(file: source, problem: "holds no data rows") }
        let sample = csvFields(firstRow.text)
        let skip =
            header.map { $0[0].isEmpty || $0[0].hasPrefix("Unnamed") } == true && sample.count > 2
                && TimeStamp(sample[1]) != nil && Int(sample[0]) != nil ? 1 : 0
        func row(_ line: Substring) -> [String] { Array(csvFields(line).dropFirst(skip)) }
        let width = header.map { $0.count - skip } ?? row(firstRow.text).count
        guard width >= 2 else {
            throw DataError(
                file: source, line: lines[0].number,
                problem: "has \(width) column; expected a time column and at least one column of values")
        }
        var names = (1..<width).map { k in header.map { Self.unquoted($0[k + skip]) } ?? "value \(k)" }
        for k in names.indices where names[k].isEmpty { names[k] = "value \(k + 1)" }
        var times: [TimeStamp] = []
        var columns = [[Float]](repeating: [], count: width - 1)
        var axis: (frequency: Frequency?, numberStep: Int)? = nil
        for (lineNumber, line) in rows {
            let fields = row(line)
            func fail(_ problem: String, column: Int? = nil) -> DataError {
                DataError(file: source, line: lineNumber, column: column, problem: problem)
            }
            guard fields.count == width else { throw fail("has \(fields.count) fields, the header has \(width)") }
            guard let time = TimeStamp(fields[0]) else {
                throw fail(
                    "time \"\(fields[0])\" is not a time stamp (a whole number, yyyy-MM, yyyy-MM-dd or yyyy-MM-dd "
                        + "HH:mm:ss)", column: 1 + skip)
            }
            if let previous = times.last {
                try Self.checkStep(from: previous, to: time, axis: &axis) { fail($0, column: 1 + skip) }
            }
            times.append(time)
            for k in 1..<width { columns[k - 1].append(try Self.value(fields[k]) { fail($0, column: k + 1 + skip) }) }
        }
        var series: [TimeSeries] = []
        for (k, column) in columns.enumerated() {
            // A series starts at its first value and ends at its last.
            guard let start = column.firstIndex(where: { !$0.isNaN }), let end = column.lastIndex(where: { !$0.isNaN })
            else { throw DataError(file: source, column: k + 2 + skip, problem: "series \(names[k]) has no values") }
            series.append(TimeSeries(name: names[k], start: times[start], values: Array(column[start...end])))
        }
        self.init(
            series: series, frequency: axis?.frequency ?? Self.defaultFrequency(times[0]),
            numberStep: axis?.numberStep ?? 1, source: source)
    }

    /// `id,time,value`, one row per observation; the rows of a series in time order.
    init(long lines: [(number: Int, text: Substring)], hasHeader: Bool, source: String) throws {
        var order: [String] = [], rows: [String: [(time: TimeStamp, value: Float, line: Int)]] = [:]
        for (lineNumber, line) in hasHeader ? Array(lines.dropFirst()) : lines {
            let fields = csvFields(line)
            func fail(_ problem: String, column: Int? = nil) -> DataError {
                DataError(file: source, line: lineNumber, column: column, problem: problem)
            }
            guard fields.count == 3 else { throw fail("has \(fields.count) fields; expected id,time,value") }
            guard let time = TimeStamp(fields[1]) else {
                throw fail("time \"\(fields[1])\" is not a time stamp", column: 2)
            }
            let value = try Self.value(fields[2]) { fail($0, column: 3) }
            let id = Self.unquoted(fields[0])
            if rows[id] == nil { order.append(id) }
            rows[id, default: []].append((time, value, lineNumber))
        }
        guard !order.isEmpty else { throw DataError(file: source, problem: "holds no data rows") }
        var axis: (frequency: Frequency?, numberStep: Int)? = nil
        var series: [TimeSeries] = []
        for id in order {
            let points = rows[id]!
            for (a, b) in zip(points, points.dropFirst()) {
                try Self.checkStep(from: a.time, to: b.time, axis: &axis) {
                    DataError(file: source, line: b.line, column: 2, problem: "series \(id): " + $0)
                }
            }
            let values = points.map(\.value)
            guard let start = values.firstIndex(where: { !$0.isNaN }), let end = values.lastIndex(where: { !$0.isNaN })
            else { throw DataError(file: source, problem: "series \(id) has no values") }
            series.append(TimeSeries(name: id, start: points[start].time, values: Array(values[start...end])))
        }
        self.init(
            series: series, frequency: axis?.frequency ?? Self.defaultFrequency(series[0].start),
            numberStep: axis?.numberStep ?? 1, source: source)
    }

    /// A name as CSV quotes it (`"TOTEMP"`, `"a ""b"""`), without the quotes.
    static func unquoted(_ field: String) -> String {
        guard field.count >= 2, field.hasPrefix("\""), field.hasSuffix("\"") else { return field }
        return String(field.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }

    /// Whether a field marks a missing value: empty, `?`, `NA`, `NaN` or `null`.
    static func isMissing(_ field: String) -> Bool {
        field.isEmpty || field == "?" || ["na", "nan", "null"].contains(field.lowercased())
    }

    /// A value field: a finite number, or missing (NaN) when empty, `?`, `NA` or `NaN`.
    static func value(_ field: String, fail: (String) -> DataError) throws -> Float {
        if isMissing(field) { return .nan }
        guard let v = Float(field), v.isFinite else { throw fail("value \"\(field)\" is not a number") }
        return v
    }

    /// Checks that `time` is one step after `previous`, the step being set by the first pair.
    static func checkStep(
        from previous: TimeStamp, to time: TimeStamp, axis: inout (frequency: Frequency?, numberStep: Int)?,
        fail: (String) -> DataError
    ) throws {
        if let axis {
            guard previous.steps(to: time, frequency: axis.frequency, numberStep: axis.numberStep) == 1,
                previous.style == time.style
            else {
                let step = axis.frequency?.name ?? "of \(axis.numberStep)"
                throw fail("time \(time) is not one step (\(step)) after \(previous); fill gaps with empty values")
            }
        } else {
            guard let step = step(from: previous, to: time) else {
                throw fail("time \(time) does not follow \(previous) (times must increase, written the same way)")
            }
            axis = step
        }
    }

    /// The frequency a single time stamp suggests: monthly for `yyyy-MM`, daily for a date.
    static func defaultFrequency(_ time: TimeStamp) -> Frequency? {
        switch time.style {
        case .number: nil
        case .yearMonth: Frequency(.month)
        case .date: Frequency(.day)
        case .dateTime: Frequency(.hour)
        case .yearMonthName: Frequency(.month)
        case .yearQuarter: Frequency(.quarter)
        }
    }
}
