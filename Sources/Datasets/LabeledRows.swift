import Foundation
import SeqTensor

/// A classification data set from CSV: one example per row, a class label (an integer from 0)
/// in the first or last column and the values (a sequence, a flattened image, or tabular
/// features) in the others. A header row is detected (a first row that is not all numbers) and
/// skipped.
public struct LabeledRows {
    /// Where the label is; `none` reads every column as a value and labels every row 0 (series).
    public enum LabelColumn: String, CaseIterable, Sendable { case first, last, none }

    /// (N, F) values.
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

    /// Reads `path`. Every error names the file, the line and the column: ragged rows,
    /// non-numeric or non-finite values, labels that are not whole numbers >= 0.
    public init(csv path: String, labelColumn: LabelColumn = .first) throws {
        try self.init(csvText: readUserText(path, kind: "a CSV file"), source: path, labelColumn: labelColumn)
    }

    /// Parses CSV text; `source` names it in errors.
    public init(csvText text: String, source path: String, labelColumn: LabelColumn = .first) throws {
        var values: [Float] = []
        var labels: [Int] = []
        var width = -1
        for (lineNumber, line) in nonBlankLines(text) {
            let fields = csvFields(line)
            let numbers = fields.map { Float($0) }
            // A first line with a field that is not a number is a header.
            if labels.isEmpty && width < 0 && numbers.contains(where: { $0 == nil }) && lineNumber == 1 { continue }
            let minimum = labelColumn == .none ? 1 : 2
            guard fields.count >= minimum else {
                throw DataError(
                    file: path, line: lineNumber,
                    problem: "has \(fields.count) field; a label and at least one value are needed")
            }
            if width < 0 { width = fields.count }
            guard fields.count == width else {
                throw DataError(
                    file: path, line: lineNumber,
                    problem: "has \(fields.count) fields, earlier rows have \(width) (series of different lengths "
                        + "can be given in the .ts format of the UCR/UEA archives)")
            }
            for (k, n) in numbers.enumerated() {
                guard let n else {
                    throw DataError(
                        file: path, line: lineNumber, column: k + 1, problem: "\"\(fields[k])\" is not a number")
                }
                guard n.isFinite else {
                    throw DataError(
                        file: path, line: lineNumber, column: k + 1, problem: "value \(fields[k]) is not finite")
                }
            }
            if labelColumn == .none {
                labels.append(0)
                values += numbers.map { $0! }
                continue
            }
            let labelIndex = labelColumn == .first ? 0 : fields.count - 1
            let label = numbers[labelIndex]!
            guard label >= 0, label == label.rounded(), label < 1_000_000 else {
                throw DataError(
                    file: path, line: lineNumber, column: labelIndex + 1,
                    problem: "label \(fields[labelIndex]) is not a class number 0, 1, 2, ...")
            }
            labels.append(Int(label))
            for (k, n) in numbers.enumerated() where k != labelIndex { values.append(n!) }
        }
        guard !labels.isEmpty else { throw DataError(file: path, problem: "holds no data rows") }
        self.init(
            features: Tensor(values, shape: [labels.count, labelColumn == .none ? width : width - 1]), labels: labels)
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
        var g = SeededGenerator(seed: seed)
        let order = g.permutation(count)
        let testCount = Int((Double(count) * testFraction).rounded())
        return (subset(Array(order[testCount...])), subset(Array(order[..<testCount])))
    }
}
