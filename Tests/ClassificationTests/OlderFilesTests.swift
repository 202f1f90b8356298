import Classification
import Datasets
import Foundation
import SeqTensor
import XCTest

/// Classifier files written before the two classifiers became one (`seqtool.classifier.v1` over
/// CSV rows, `seqtool.series-classifier.v1`) load, and give the probabilities the binary that
/// wrote them gave (`*.expected.csv`, written by its `predict --csv`).
final class OlderFilesTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/classifiers").path

    func check(_ name: String, input: String, format: String) throws {
        let path = Self.fixtures + "/" + name + ".safetensors"
        XCTAssertEqual(try SafeTensors.read(path: path).metadata["format"], format)
        let model = try Classifier.load(path: path)
        let data = try LabeledSeries.read(path: Self.fixtures + "/" + input, labelColumn: .first)
        XCTAssertNil(model.problem(with: data, source: input))
        let expected = try String(contentsOfFile: Self.fixtures + "/" + name + ".expected.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst(3).map { Float($0)! } }
        let probabilities = model.probabilities(data)
        XCTAssertEqual(probabilities.count, expected.count, name)
        for (row, (p, q)) in zip(probabilities, expected).enumerated() {
            for (a, b) in zip(p, q) { XCTAssertEqual(a, b, accuracy: 1e-6 + 1e-5 * b, "\(name) row \(row)") }
        }
        // Saved again, it is a file of this format that loads to the same model.
        let again = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: again) }
        try model.save(to: again)
        XCTAssertEqual(try Classifier.load(path: again).probabilities(data), probabilities, name)
    }

    func testRowsMLP() throws { try check("rows-mlp", input: "rows.csv", format: "seqtool.classifier.v1") }
    func testRowsLSTM() throws { try check("rows-lstm", input: "rows.csv", format: "seqtool.classifier.v1") }
    func testSeriesGRU() throws { try check("series-gru", input: "updown.ts", format: "seqtool.series-classifier.v1") }
}
