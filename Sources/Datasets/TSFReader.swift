import Foundation
import SeqTensor

/// The Monash forecasting archive's `.tsf` format:
///
///     # comments
///     @relation M1
///     @attribute series_name string
///     @attribute start_timestamp date
///     @frequency yearly
///     @horizon 6
///     @missing false
///     @equallength false
///     @data
///     T1:1972-01-01 00-00-00:3600,7700,12300,...
///
/// one series per line after `@data`: the attributes' values in the header's order, each
/// followed by `:`, then the values separated by commas (`?` for a missing value).
extension TimeSeriesSet {
    /// Reads the `.tsf` file at `path`; every error names the file, the line and the series.
    public init(tsf path: String) throws {
        try self.init(tsfText: readUserText(path, kind: "a .tsf file"), source: path)
    }

    /// Parses `.tsf` text; `source` names it in errors.
    public init(tsfText text: String, source: String) throws {
        var attributes: [(name: String, type: String)] = []
        var frequency: Frequency? = nil
        var horizon: Int? = nil
        var allowsMissing: Bool? = nil, equalLength = false
        var inData = false
        var series: [TimeSeries] = []
        // The attribute that names a series (series_name, else the first string), and the one
        // that dates its first value (start_timestamp, else the first date).
        var nameIndex: Int? = nil, startIndex: Int? = nil
        for (lineNumber, line) in nonBlankLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            func fail(_ problem: String) -> DataError { DataError(file: source, line: lineNumber, problem: problem) }
            if !inData {
                guard trimmed.hasPrefix("@") else { throw fail("expected a @ header line or @data before the data") }
                let parts = trimmed.dropFirst().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard let key = parts.first?.lowercased() else { throw fail("\"@\" names no header attribute") }
                let rest = Array(parts.dropFirst())
                func flag() throws -> Bool {
                    guard let value = rest.first?.lowercased(), value == "true" || value == "false" else {
                        throw fail("@\(key) must be followed by true or false")
                    }
                    return value == "true"
                }
                switch key {
                case "relation": break
                case "attribute":
                    guard rest.count == 2, ["string", "numeric", "date"].contains(rest[1].lowercased()) else {
                        throw fail("@attribute needs a name and a type (string, numeric or date)")
                    }
                    guard !attributes.contains(where: { $0.name == rest[0] }) else {
                        throw fail("attribute \(rest[0]) is declared twice")
                    }
                    attributes.append((rest[0], rest[1].lowercased()))
                case "frequency":
                    guard let name = rest.first, let f = Frequency(name: name) else {
                        throw fail(
                            "@frequency \(rest.first ?? "") is not a frequency (yearly, quarterly, monthly, weekly, "
                                + "daily, hourly, half_hourly, 10_minutes, minutely, 4_seconds, ...)")
                    }
                    frequency = f
                case "horizon":
                    guard let h = rest.first.flatMap(Int.init), h > 0, h <= 1_000_000 else {
                        throw fail("@horizon must be a positive whole number")
                    }
                    horizon = h
                case "missing": allowsMissing = try flag()
                case "equallength": equalLength = try flag()
                case "data":
                    guard !attributes.isEmpty else { throw fail("@data before any @attribute line") }
                    inData = true
                    nameIndex =
                        attributes.firstIndex { $0.name == "series_name" }
                        ?? attributes.firstIndex { $0.type == "string" }
                    startIndex =
                        attributes.firstIndex { $0.name == "start_timestamp" }
                        ?? attributes.firstIndex { $0.type == "date" }
                default: throw fail("@\(parts[0]) is not a .tsf header line")
                }
                continue
            }
            // A series: the attributes, each followed by ':', then the values.
            let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let number = series.count + 1
            guard fields.count == attributes.count + 1 else {
                throw fail(
                    "series \(number) has \(fields.count - 1) attribute values before its values, the header declares "
                        + "\(attributes.count) (\(attributes.map(\.name).joined(separator: ", ")))")
            }
            var name = "\(number)"
            var start = TimeStamp(value: 0, style: .number)
            for (k, ((attribute, type), field)) in zip(attributes, fields).enumerated() {
                let value = field.trimmingCharacters(in: .whitespaces)
                if type == "numeric" && Double(value) == nil {
                    throw fail("series \(number): \(attribute) \"\(value)\" is not a number")
                }
                // The start may be named `start_timestamp` and declared of any type, so it is parsed here, not
                // assumed valid from a `date` declaration.
                if type == "date" || k == startIndex {
                    guard let stamp = TimeStamp(value) else {
                        throw fail("series \(number): \(attribute) \"\(value)\" is not a date")
                    }
                    if k == startIndex { start = stamp }
                }
                if k == nameIndex { name = value }
            }
            let seriesName = name
            var values: [Float] = []
            for (k, text) in fields.last!.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                let token = text.trimmingCharacters(in: .whitespaces)
                if token == "?" {
                    guard allowsMissing != false else {
                        throw fail(
                            "series \(seriesName), value \(k + 1) is missing (?) but the header says @missing false")
                    }
                    values.append(.nan)
                    continue
                }
                guard let v = Float(token), v.isFinite else {
                    throw fail("series \(seriesName), value \(k + 1): \"\(token)\" is not a number")
                }
                values.append(v)
            }
            if equalLength, let first = series.first, first.values.count != values.count {
                throw fail(
                    "series \(seriesName) has \(values.count) values, the first has \(first.values.count) "
                        + "(@equallength true)")
            }
            guard values.contains(where: { !$0.isNaN }) else { throw fail("series \(seriesName) has no values") }
            series.append(TimeSeries(name: seriesName, start: start, values: values))
        }
        guard inData else { throw DataError(file: source, problem: "has no @data line") }
        guard !series.isEmpty else { throw DataError(file: source, problem: "holds no series after @data") }
        self.init(series: series, frequency: frequency, horizon: horizon, source: source)
    }
}
