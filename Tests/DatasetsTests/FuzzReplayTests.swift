import Foundation
import Fuzzing
import XCTest

/// Replays the fuzzers' seed inputs and every crasher they found (Tests/Fuzz) through the same
/// loader entry points: each must end in a value or an error, never a crash.
final class FuzzReplayTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    func replay(_ target: String, _ body: ([UInt8]) -> Void) throws {
        var count = 0
        for folder in ["corpus", "crashers"] {
            let dir = "\(Self.root)/\(folder)/\(target)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names.sorted() {
                body([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))))
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "no inputs for \(target) under \(Self.root)")
    }

    func testSafeTensors() throws { try replay("safetensors", FuzzTargets.safetensors) }
    func testCSV() throws { try replay("csv", FuzzTargets.csv) }
    func testCorpus() throws { try replay("corpus", FuzzTargets.corpus) }
    func testPairs() throws { try replay("pairs", FuzzTargets.pairs) }
    func testTokens() throws { try replay("tokens", FuzzTargets.tokens) }
    func testTS() throws { try replay("ts", FuzzTargets.ts) }
    func testClassifier() throws { try replay("classifier", FuzzTargets.classifier) }
    func testGenerator() throws { try replay("generator", FuzzTargets.generator) }
    func testSeq2Seq() throws { try replay("seq2seq", FuzzTargets.seq2seq) }
    func testTSF() throws { try replay("tsf", FuzzTargets.tsf) }
    func testTimeCSV() throws { try replay("timecsv", FuzzTargets.timeCSV) }
    func testForecaster() throws { try replay("forecaster", FuzzTargets.forecaster) }
    func testONNX() throws { try replay("onnx", FuzzTargets.onnx) }
}
