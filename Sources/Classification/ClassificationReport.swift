import Foundation

/// Accuracy, per-class accuracy and the confusion matrix of predictions against labels.
public struct ClassificationReport {
    /// The fraction of series predicted right.
    public let accuracy: Double
    /// Accuracy on each true class (nil for a class with no examples).
    public let perClass: [Double?]
    /// confusion[true][predicted] counts.
    public let confusion: [[Int]]

    /// The report of `predictions` against `labels` (class indices).
    public init(predictions: [Int], labels: [Int], classCount: Int) {
        var confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (p, y) in zip(predictions, labels) where y < classCount && p < classCount { confusion[y][p] += 1 }
        self.confusion = confusion
        let correct = (0..<classCount).reduce(0) { $0 + confusion[$1][$1] }
        accuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
        perClass = confusion.enumerated().map { k, row in
            let n = row.reduce(0, +)
            return n == 0 ? nil : Double(row[k]) / Double(n)
        }
    }

    /// The matrix as aligned text (rows: true class, columns: predicted class).
    public var confusionTable: String {
        let n = confusion.count
        let w = max(4, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        var lines = ["true\\pred" + (0..<n).map { pad(String($0)) }.joined()]
        for (k, row) in confusion.enumerated() {
            lines.append(
                pad(String(k)).padding(toLength: 9, withPad: " ", startingAt: 0) + row.map { pad(String($0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
