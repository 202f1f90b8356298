import Foundation
import SeqTensor

/// Where the label is in a CSV row: the first field, the last, or none (every field is a value).
public enum LabelColumn: String, CaseIterable, Sendable { case first, last, none }

/// Series of one length with class numbers 0, 1, 2, ... as one matrix: a view of `LabeledSeries`
/// for code that wants rows (N, F) and integer classes (the sine data sets, curves a generator
/// learns). `LabeledSeries` reads the files; `init(_:source:)` makes the view.
public struct LabeledRows {
    /// (N, F) values: the series' steps (all channels of a step together).
    public var features: Tensor
    /// The class of each row (N), from 0.
    public var labels: [Int]

    /// Rows `features` (N, F) with their `labels` (N).
    public init(features: Tensor, labels: [Int]) {
        precondition(
            features.rank == 2 && features.shape[0] == labels.count,
            "LabeledRows: \(features.shape) for \(labels.count) labels")
        self.features = features
        self.labels = labels
    }

    /// The rows of `series`, which must have one length and labels that are class numbers 0, 1,
    /// 2, ... (or none: every row is class 0). `source` names the data in errors.
    public init(_ series: LabeledSeries, source: String) throws {
        let width = series.values[0].count
        if let row = series.values.firstIndex(where: { $0.count != width }) {
            throw DataError(
                file: source,
                problem: "series \(row + 1) has \(series.values[row].count / series.channels) steps, the first has "
                    + "\(width / series.channels): rows must have one length")
        }
        var labels: [Int] = []
        for (row, label) in (series.labels ?? Array(repeating: "0", count: series.count)).enumerated() {
            guard let number = Int(label), number >= 0, number < 1_000_000 else {
                throw DataError(
                    file: source, problem: "series \(row + 1): label \(label) is not a class number 0, 1, 2, ...")
            }
            labels.append(number)
        }
        self.init(features: Tensor(series.values.flatMap { $0 }, shape: [series.count, width]), labels: labels)
    }

    /// Reads CSV rows as `LabeledSeries(csv:labelColumn:)` does, as rows with class numbers.
    public init(csv path: String, labelColumn: LabelColumn = .first) throws {
        try self.init(LabeledSeries(csv: path, labelColumn: labelColumn), source: path)
    }

    /// Rows (N).
    public var count: Int { labels.count }
    /// Values per row (F).
    public var featureCount: Int { features.shape[1] }
    /// 1 + the largest label.
    public var classCount: Int { (labels.max() ?? -1) + 1 }

    /// Rows `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledRows {
        LabeledRows(features: features.gathering(rows: indices), labels: indices.map { labels[$0] })
    }

    /// The rows as CSV text, label first, values with full float precision.
    public func csv() -> String {
        var out = ""
        let F = featureCount, p = features.pointer
        for r in 0..<count {
            out += String(labels[r])
            for j in 0..<F { out += "," + String(p[r * F + j]) }
            out += "\n"
        }
        return out
    }

    /// A seeded split: a fraction `testFraction` of the rows (shuffled) for testing, the rest for training.
    public func split(testFraction: Double, seed: UInt64) -> (train: LabeledRows, test: LabeledRows) {
        let (train, test) = seededSplit(count, testFraction: testFraction, seed: seed)
        return (subset(train), subset(test))
    }
}

extension LabeledSeries {
    /// The one-channel series of `rows`, labelled with their class numbers ("0", "1", ...).
    public init(rows: LabeledRows) {
        let F = rows.featureCount, p = rows.features.pointer
        self.init(
            channels: 1, values: (0..<rows.count).map { Array(UnsafeBufferPointer(start: p + $0 * F, count: F)) },
            labels: rows.labels.map(String.init))
    }
}

/// Indices 0..<count shuffled by `seed`: the first `testFraction` of them (rounded) for testing,
/// the rest for training.
func seededSplit(_ count: Int, testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
    var g = SeededGenerator(seed: seed)
    let order = g.permutation(count), cut = Int((Double(count) * testFraction).rounded())
    return (Array(order[cut...]), Array(order[..<cut]))
}
