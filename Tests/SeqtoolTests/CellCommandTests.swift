import Foundation
import XCTest

/// The cells added without touching the command line (`gru_reset_before`, `layer_norm_lstm`) work
/// wherever a cell name is accepted: train-char (with --resume, which carries their state), sample,
/// eval, info, classify and predict.
final class CellCommandTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    func testNewCellsTrainResumeSampleAndEvaluate() throws {
        let text = String(repeating: "the quick brown fox jumps over the lazy dog.\n", count: 40)
        try text.write(toFile: runner.path("corpus.txt"), atomically: true, encoding: .utf8)
        for cell in ["gru_reset_before", "layer-norm-lstm"] {
            let common = [
                "train-char", "--corpus", runner.path("corpus.txt"), "--cell", cell, "--hidden", "16", "--layers", "2",
                "--embed", "8", "--seq", "8", "--batch", "4", "--eval-every", "0", "--threads", "1", "--json",
            ]
            let straight = try runner.run(
                common + ["--steps", "10", "--out", "a.safetensors", "--checkpoint-every", "0"])
            XCTAssertEqual(straight.status, 0, straight.stderr)
            let first = try runner.run(common + ["--steps", "5", "--out", "b.safetensors"])
            XCTAssertEqual(first.status, 0, first.stderr)
            let resumed = try runner.run(common + ["--steps", "10", "--out", "b.safetensors", "--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(straight.json["train_loss"] as? Double, resumed.json["train_loss"] as? Double, cell)

            let sample = try runner.run(["sample", "--model", "a.safetensors", "--prime", "the ", "--length", "30"])
            XCTAssertEqual(sample.status, 0, sample.stderr)
            XCTAssertEqual(sample.stdout.unicodeScalars.count, 4 + 30 + 1)
            let eval = try runner.run([
                "eval", "--model", "a.safetensors", "--corpus", runner.path("corpus.txt"), "--json",
            ])
            XCTAssertEqual(eval.status, 0, eval.stderr)
            let info = try runner.run(["info", "--model", "a.safetensors", "--json"])
            XCTAssertEqual(info.status, 0, info.stderr)
            XCTAssertTrue(info.stdout.contains(cell.replacingOccurrences(of: "-", with: "_")), info.stdout)
        }
    }

    func testClassifyWithANewCell() throws {
        XCTAssertEqual(try runner.run(["make-sine", "--out", "train.csv", "--count", "20", "--seed", "1"]).status, 0)
        let classify = try runner.run([
            "classify", "--train", "train.csv", "--test", "train.csv", "--model", "gru_reset_before", "--epochs", "2",
            "--hidden", "8", "--json", "--out", "c.safetensors", "--threads", "1",
        ])
        XCTAssertEqual(classify.status, 0, classify.stderr)
        XCTAssertEqual(classify.json["model"] as? String, "gru_reset_before")
        let predict = try runner.run(["predict", "--model", "c.safetensors", "--input", "train.csv", "--json"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertNotNil(predict.json["accuracy"] as? Double, predict.stdout)
    }
}
