import Foundation
import SeqTensor

/// Time series for classification as the UCR/UEA archives give them: any number of channels
/// (dimensions) per step, lengths that may differ from series to series, and class labels kept as
/// the strings the file writes ("1", "Walking").
///
/// Read from the archives' `.ts` format (`init(ts:)`):
///
///     # comments
///     @problemName BasicMotions
///     @univariate false
///     @dimensions 6
///     @equalLength true
///     @seriesLength 100
///     @classLabel true Standing Running Walking Badminton
///     @data
///     0.07,0.08,...:0.30,0.29,...:...:Standing
///
/// one case per line after `@data`: the channels separated by `:`, the values of a channel by `,`,
/// the class label last (when `@classLabel true`). Lines starting with `#` or `%` are comments (the
/// archives' descriptions use both). Header keys are case-insensitive; `@timeStamps true` is refused
/// with a clear error, and so is `@targetLabel true`, which marks a file of the regression archive
/// (a number to predict per case, not a class). A missing value (`?` or `NaN`) is an error that
/// names the line, the case and the channel; the channels of one case must have the same length.
public struct LabeledSeries {
    /// Channels per step (C).
    public let channels: Int
    /// Each series' values, time-major: step t, channel c at `[t * channels + c]`.
    public var values: [[Float]]
    /// Each series' class label as written, or nil when the data have no labels.
    public var labels: [String]?
    /// The class labels the header declares, in its order (`@classLabel true a b c`), if any.
    public var declaredClasses: [String]?

    /// A set of `values` (time-major, `channels` per step) with `labels`.
    public init(channels: Int, values: [[Float]], labels: [String]?, declaredClasses: [String]? = nil) {
        precondition(channels > 0, "LabeledSeries: channels must be positive")
        precondition(
            values.allSatisfy { !$0.isEmpty && $0.count % channels == 0 },
            "LabeledSeries: every series needs whole steps of \(channels) values")
        precondition(labels.map { $0.count == values.count } ?? true, "LabeledSeries: one label per series")
        (self.channels, self.values, self.labels, self.declaredClasses) = (channels, values, labels, declaredClasses)
    }

    /// Reads `path`: the `.ts` format when its name ends in `.ts`, CSV rows otherwise.
    public static func read(path: String, labelColumn: LabelColumn) throws -> LabeledSeries {
        path.lowercased().hasSuffix(".ts")
            ? try LabeledSeries(ts: path) : try LabeledSeries(csv: path, labelColumn: labelColumn)
    }

    /// Reads CSV rows as one-channel series of equal length (one series per row, the label first or
    /// last, any string; `none`: no labels), an optional header, Windows line endings and a
    /// byte-order mark tolerated. Rows of different lengths are an error that suggests `.ts`.
    public init(csv path: String, labelColumn: LabelColumn) throws {
        try self.init(csvText: readUserText(path, kind: "a CSV file"), source: path, labelColumn: labelColumn)
    }

    /// Parses CSV text as `init(csv:labelColumn:)` reads a file; `source` names it in errors.
    public init(csvText text: String, source: String, labelColumn: LabelColumn) throws {
        var values: [[Float]] = [], labels: [String] = []
        var width = -1
        for (lineNumber, line) in nonBlankLines(text) {
            var fields = csvFields(line)
            var label: String? = nil
            switch labelColumn {
            case .first: label = fields.removeFirst()
            case .last: label = fields.removeLast()
            case .none: break
            }
            let numbers = fields.map { Float($0) }
            // A first line with a value that is not a number is a header.
            if values.isEmpty && lineNumber == 1 && numbers.contains(where: { $0 == nil }) { continue }
            func fail(_ problem: String, column: Int? = nil) -> DataError {
                DataError(file: source, line: lineNumber, column: column, problem: problem)
            }
            guard !fields.isEmpty else { throw fail("has no values beside the label") }
            if width < 0 { width = fields.count }
            guard fields.count == width else {
                throw fail(
                    "has \(fields.count) values, earlier rows have \(width) (series of different lengths can be "
                        + "given in the .ts format of the UCR/UEA archives)")
            }
            let offset = labelColumn == .first ? 2 : 1
            for (k, n) in numbers.enumerated() {
                guard let n, n.isFinite else {
                    let problem = fields[k] == "?" || fields[k].lowercased() == "nan" ? "is missing" : "is not a number"
                    throw fail("value \"\(fields[k])\" \(problem)", column: k + offset)
                }
            }
            if let label {
                guard !label.isEmpty else {
                    throw fail("has an empty label", column: labelColumn == .first ? 1 : fields.count + 1)
                }
                labels.append(label)
            }
            values.append(numbers.map { $0! })
        }
        guard !values.isEmpty else { throw DataError(file: source, problem: "holds no data rows") }
        self.init(channels: 1, values: values, labels: labelColumn == .none ? nil : labels)
    }

    /// Series in the set.
    public var count: Int { values.count }
    /// Steps of each series.
    public var lengths: [Int] { values.map { $0.count / channels } }
    /// Whether every series has the same number of steps.
    public var isEqualLength: Bool { Set(lengths).count <= 1 }

    /// The labels that are not among `classNames`, each once, in order of appearance (none when
    /// the series have no labels).
    public func labels(outside classNames: [String]) -> [String] {
        let known = Set(classNames)
        var seen = Set<String>(), out: [String] = []
        for label in labels ?? [] where !known.contains(label) && seen.insert(label).inserted { out.append(label) }
        return out
    }

    /// The distinct labels in class order: numerically when every label is a number ("2" before
    /// "10"), otherwise as strings sorted by their characters, as aeon and scikit-learn order them.
    public static func classNames(_ labels: [String]) -> [String] {
        let distinct = Array(Set(labels))
        let numbers = distinct.compactMap(Double.init)
        if numbers.count == distinct.count {
            return distinct.sorted { Double($0)! < Double($1)! || (Double($0)! == Double($1)! && $0 < $1) }
        }
        return distinct.sorted()
    }

    /// A seeded split: a share `testFraction` of the series (shuffled) for testing, the rest for
    /// training.
    public func split(testFraction: Double, seed: UInt64) -> (train: LabeledSeries, test: LabeledSeries) {
        let (train, test) = seededSplit(count, testFraction: testFraction, seed: seed)
        return (subset(train), subset(test))
    }

    /// Series `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledSeries {
        LabeledSeries(
            channels: channels, values: indices.map { values[$0] }, labels: labels.map { l in indices.map { l[$0] } },
            declaredClasses: declaredClasses)
    }

    /// Reads the `.ts` file at `path`; every error names the file and the line.
    public init(ts path: String) throws {
        try self.init(tsText: readUserText(path, kind: "a .ts file"), source: path)
    }

    /// Parses `.ts` text; `source` names it in errors.
    public init(tsText text: String, source: String) throws {
        var header: [String: String] = [:]
        var declared: [String]? = nil
        var hasLabels = true
        var channels: Int? = nil
        var inData = false
        var values: [[Float]] = []
        var labels: [String] = []
        for (lineNumber, line) in nonBlankLines(text) {
            let trimmed = trimmingSpaces(line)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("%") { continue }
            func fail(_ problem: String, column: Int? = nil) -> DataError {
                DataError(file: source, line: lineNumber, column: column, problem: problem)
            }
            if !inData {
                guard trimmed.hasPrefix("@") else { throw fail("expected a @ header line or @data before the data") }
                let parts = trimmed.dropFirst().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard let first = parts.first else { throw fail("\"@\" names no header attribute") }
                let key = first.lowercased(), rest = Array(parts.dropFirst())
                switch key {
                case "data":
                    inData = true
                case "classlabel":
                    guard let flag = rest.first?.lowercased(), flag == "true" || flag == "false" else {
                        throw fail("@classLabel must be followed by true or false")
                    }
                    hasLabels = flag == "true"
                    if hasLabels {
                        guard rest.count > 1 else { throw fail("@classLabel true lists no class labels") }
                        declared = Array(rest.dropFirst())
                    }
                case "timestamps" where rest.first?.lowercased() == "true":
                    throw fail("@timeStamps true (values with time stamps) is not supported")
                case "targetlabel" where rest.first?.lowercased() == "true":
                    throw fail(
                        "@targetLabel true: this is a regression file (a numeric target per case, as in the "
                            + "regression archive), not a classification file; classification needs "
                            + "@classLabel true and the class names")
                case "dimensions":
                    guard let d = rest.first.flatMap(Int.init), d > 0 else {
                        throw fail("@dimensions must be a positive whole number")
                    }
                    channels = d
                default:
                    header[key] = rest.joined(separator: " ")
                }
                continue
            }
            // A case: channels separated by ':', the label last.
            var fields = trimmed.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).map {
                Substring($0)
            }
            let caseNumber = values.count + 1
            if hasLabels {
                guard fields.count >= 2 else { throw fail("case \(caseNumber) has no class label after a ':'") }
                let label = String(trimmingSpaces(fields.removeLast()))
                guard !label.isEmpty else { throw fail("case \(caseNumber) has an empty class label") }
                if let declared, !declared.contains(label) {
                    throw fail(
                        "case \(caseNumber): label \"\(label)\" is not one of @classLabel's "
                            + declared.joined(separator: " "))
                }
                labels.append(label)
            }
            let expected = channels ?? (header["univariate"]?.lowercased() == "true" ? 1 : fields.count)
            if channels == nil { channels = expected }
            guard fields.count == expected else {
                throw fail("case \(caseNumber) has \(fields.count) channels, expected \(expected)")
            }
            var perChannel: [[Float]] = []
            for (c, field) in fields.enumerated() {
                var series: [Float] = []
                for (k, token) in splitFields(field, at: ",").enumerated() {
                    if let v = Float(token), v.isFinite {
                        series.append(v)
                        continue
                    }
                    let place = "case \(caseNumber), channel \(c + 1), value \(k + 1)"
                    if token == "?" || Float(token)?.isNaN == true {
                        throw fail("\(place) is missing (\(token)); fill or drop missing values before training")
                    }
                    let problem = Float(token) == nil ? "\"\(token)\" is not a number" : "\(token) is not finite"
                    throw fail("\(place): \(problem)")
                }
                perChannel.append(series)
            }
            let length = perChannel[0].count
            guard perChannel.allSatisfy({ $0.count == length }) else {
                throw fail(
                    "case \(caseNumber): its channels have different lengths "
                        + perChannel.map { String($0.count) }.joined(separator: ", "))
            }
            if header["equallength"]?.lowercased() == "true", let first = values.first,
                first.count != length * expected
            {
                throw fail(
                    "case \(caseNumber) has \(length) steps, the first has \(first.count / expected) "
                        + "(@equalLength true)")
            }
            // Time-major: step t holds every channel's value at t.
            var steps = [Float](repeating: 0, count: length * expected)
            for (c, series) in perChannel.enumerated() { for t in 0..<length { steps[t * expected + c] = series[t] } }
            values.append(steps)
        }
        guard inData else { throw DataError(file: source, problem: "has no @data line") }
        guard !values.isEmpty else { throw DataError(file: source, problem: "holds no cases after @data") }
        self.init(
            channels: channels ?? 1, values: values, labels: hasLabels ? labels : nil, declaredClasses: declared)
    }
}
