import Foundation
import XCTest

/// Runs each program under Examples/ briefly and checks what it prints, so that the examples
/// keep building against the public API and keep doing what their comments say.
final class ExamplesTests: XCTestCase {
    /// The example's output, run in a scratch folder; fails on a non-zero exit.
    func run(_ name: String, _ arguments: [String]) throws -> String {
        var dir = Bundle.main.bundleURL
        var binary = dir.appendingPathComponent(name).path
        for _ in 0..<3 where !FileManager.default.isExecutableFile(atPath: binary) {
            dir = dir.deletingLastPathComponent()
            binary = dir.appendingPathComponent(name).path
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(name)-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(name) failed:\n\(output)")
        return output
    }

    /// The last number on the first line that contains `marker`.
    func number(after marker: String, in output: String) -> Double? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains(marker) }) else { return nil }
        return line.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .punctuationCharacters)) }.last
    }

    func testSineClassifierLearnsAndItsSavedModelPredictsTheSame() throws {
        let output = try run("SineClassifier", ["30"])
        let trained = try XCTUnwrap(number(after: "epoch 30", in: output), output)
        let loaded = try XCTUnwrap(number(after: "loaded model", in: output), output)
        XCTAssertGreaterThan(trained, 0.5, output)  // ten classes: chance is 0.1
        XCTAssertEqual(trained, loaded, output)
    }

    func testCharModelTrainsAndSamples() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../corpora/plays.txt").standardized.path
        let output = try run("CharModel", [corpus, "100"])
        let loss = try XCTUnwrap(number(after: "step 100", in: output), output)
        XCTAssertLessThan(loss, 3.0, output)  // uniform over the vocabulary would be ~4
        let sample = try XCTUnwrap(output.components(separatedBy: "\nThe ").last, output)
        XCTAssertGreaterThanOrEqual(sample.count, 150, output)
    }

    func testCustomCellTrainsBesideTheLibraryGRU() throws {
        let output = try run("CustomCell", ["15"])
        XCTAssertTrue(
            output.contains("parameters: encoder.W_f_l0.weight, encoder.W_f_l0.bias, encoder.U_f_l0.weight"), output)
        let custom = try XCTUnwrap(number(after: "MGU", in: output), output)
        let library = try XCTUnwrap(number(after: "GRU", in: output), output)
        XCTAssertGreaterThan(custom, 0.3, output)
        XCTAssertGreaterThan(library, 0.3, output)
    }
}
