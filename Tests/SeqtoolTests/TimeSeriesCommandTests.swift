import Foundation
import XCTest

/// `classify` on `.ts` files (two channels, unequal lengths, string labels), `predict` with the
/// model it writes, `info` on it, and the errors of files that do not fit.
final class TimeSeriesCommandTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    /// A .ts file of `count` two-channel series of 10 to 24 steps: "rise" when channel 0 rises,
    /// "fall" when it falls; channel 1 is noise.
    func writeTS(_ name: String, count: Int, seed: UInt64, labels: Bool = true, channels: Int = 2) throws -> String {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var text = "# synthetic\n@problemName Rise\n@univariate \(channels == 1)\n@dimensions \(channels)\n"
        text += "@equalLength false\n@classLabel \(labels) \(labels ? "rise fall" : "")\n@data\n"
        for _ in 0..<count {
            let rise = next() < 0.5, length = 10 + Int(next() * 15)
            var dims: [String] = []
            for c in 0..<channels {
                let values = (0..<length).map { t -> String in
                    let ramp = c == 0 ? Double(t) / Double(length) * (rise ? 1 : -1) : 0
                    return String(format: "%.4f", ramp + 0.1 * (next() - 0.5))
                }
                dims.append(values.joined(separator: ","))
            }
            text += dims.joined(separator: ":") + (labels ? ":" + (rise ? "rise" : "fall") : "") + "\n"
        }
        try text.write(toFile: runner.path(name), atomically: true, encoding: .utf8)
        return name
    }

    func testClassifyPredictAndInfoOnTimeSeries() throws {
        let train = try writeTS("train.ts", count: 40, seed: 1), test = try writeTS("test.ts", count: 20, seed: 2)
        let r = try runner.run([
            "classify", "--train", train, "--test", test, "--model", "gru", "--hidden", "16", "--epochs", "25",
            "--val-split", "0.2", "--out", "m.safetensors", "--plot", "c.svg", "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("per-class accuracy (test): fall:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("kept the weights of epoch"), r.stdout)
        XCTAssertTrue(r.stdout.contains("the best validation accuracy"), r.stdout)
        XCTAssertTrue(r.stderr.contains("epoch 1/25  training loss"), r.stderr)
        XCTAssertTrue(r.stderr.contains("training 25 epochs of 2 steps (50 steps of 16 series)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("val acc"), r.stderr)
        let accuracy = try XCTUnwrap(r.json["test_accuracy"] as? Double, r.stdout)
        XCTAssertGreaterThanOrEqual(accuracy, 0.9)

        // predict gives the same accuracy, one line per series, and every class's probability.
        let p = try runner.run(["predict", "--model", "m.safetensors", "--input", test, "--csv", "p.csv", "--json"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(try XCTUnwrap(p.json["accuracy"] as? Double), accuracy, accuracy: 1e-9)
        XCTAssertEqual(p.stdout.split(separator: "\n").filter { $0.contains("(true ") }.count, 20)
        let csv = try String(contentsOfFile: runner.path("p.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "index,predicted,label,fall,rise")
        XCTAssertEqual(csv.count, 21)
        // Without labels: predictions, no accuracy.
        let unlabelled = try writeTS("new.ts", count: 5, seed: 3, labels: false)
        let u = try runner.run(["predict", "--model", "m.safetensors", "--input", unlabelled, "--json"])
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertNil(u.json["accuracy"])
        XCTAssertEqual(u.stdout.split(separator: "\n").count, 6)

        let info = try runner.run(["info", "--model", "m.safetensors"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("classes (2): fall, rise"), info.stdout)
    }

    /// `--model minirocket` is fitted, not trained: the same report, model file, `predict` and
    /// `info`; the training flags are refused by name.
    func testMiniRocketClassifyPredictAndInfo() throws {
        let train = try writeTS("train.ts", count: 40, seed: 1), test = try writeTS("test.ts", count: 20, seed: 2)
        let r = try runner.run([
            "classify", "--train", train, "--test", test, "--model", "minirocket", "--seed", "1", "--out",
            "m.safetensors", "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("fitted minirocket in"), r.stdout)
        XCTAssertTrue(r.stdout.contains("confusion matrix (test"), r.stdout)
        XCTAssertEqual(r.json["model"] as? String, "minirocket", r.stdout)
        XCTAssertEqual(r.json["features"] as? Int, 9996, r.stdout)
        XCTAssertNotNil(r.json["seconds"] as? Double, r.stdout)
        XCTAssertNotNil(r.json["ridge_alpha"] as? Double, r.stdout)
        let accuracy = try XCTUnwrap(r.json["test_accuracy"] as? Double, r.stdout)
        XCTAssertGreaterThanOrEqual(accuracy, 0.9)
        let p = try runner.run(["predict", "--model", "m.safetensors", "--input", test, "--json"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(try XCTUnwrap(p.json["accuracy"] as? Double), accuracy, accuracy: 1e-9)
        let info = try runner.run(["info", "--model", "m.safetensors", "--json"])
        XCTAssertEqual(info.json["model"] as? String, "minirocket", info.stdout)
        XCTAssertNotNil((info.json["training"] as? [String: Any])?["ridge_alpha"], info.stdout)
        // The same seed writes the same model.
        let again = try runner.run([
            "classify", "--train", train, "--model", "minirocket", "--seed", "1", "--out", "again.safetensors",
        ])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: runner.path("again.safetensors"))),
            try Data(contentsOf: URL(fileURLWithPath: runner.path("m.safetensors"))))
        for flag in [["--lr", "0.1"], ["--epochs=3"], ["--val-split", "0.2"], ["--no-normalize"], ["--batch", "32"]] {
            try runner.expectFailure(
                ["classify", "--train", train, "--model", "minirocket"] + flag,
                mentioning: "\(flag[0].split(separator: "=")[0]) does not apply to --model minirocket")
        }
    }

    func testFCNOnCSVRowsAndLSTMFCN() throws {
        let train = try writeTS("train.ts", count: 24, seed: 4)
        for model in ["fcn", "lstm-fcn"] {
            let r = try runner.run([
                "classify", "--train", train, "--model", model, "--epochs", "2", "--test-split", "0.25", "--json",
            ])
            XCTAssertEqual(r.status, 0, "\(model): \(r.stderr)")
            XCTAssertNotNil(r.json["test_accuracy"], r.stdout)
        }
        try "up,1,2,3,4,5,6,7\ndown,7,6,5,4,3,2,1\nup,1,2,3,4,5,6,8\ndown,8,6,5,4,3,2,1\n".write(
            toFile: runner.path("rows.csv"), atomically: true, encoding: .utf8)
        let csv = try runner.run(["classify", "--train", "rows.csv", "--model", "fcn", "--epochs", "2", "--json"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertEqual(csv.json["classes"] as? Int, 2)
        XCTAssertTrue(csv.stdout.contains("per-class accuracy (train): down:"), csv.stdout)
    }

    func testFilesThatDoNotFitAreClearErrors() throws {
        let train = try writeTS("train.ts", count: 12, seed: 5)
        let r = try runner.run([
            "classify", "--train", train, "--model", "gru", "--hidden", "4", "--epochs", "1", "--out", "m.safetensors",
            "--bidirectional",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let oneChannel = try writeTS("one.ts", count: 3, seed: 6, channels: 1)
        try runner.expectFailure(
            ["predict", "--model", "m.safetensors", "--input", oneChannel], mentioning: "1 channel(s), the model")
        try "@dimensions 2\n@classLabel true rise fall jump\n@data\n1,2:3,4:jump\n".write(
            toFile: runner.path("jump.ts"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["predict", "--model", "m.safetensors", "--input", "jump.ts"], mentioning: "label \"jump\" is not one of")
        try runner.expectFailure(
            ["classify", "--train", train, "--model", "mlp"], mentioning: "--model mlp: mlp needs series of one length")
        try "@dimensions 2\n@classLabel true rise fall\n@data\n1,?:3,4:rise\n".write(
            toFile: runner.path("missing.ts"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["classify", "--train", "missing.ts"], mentioning: "missing.ts:4: case 1, channel 1, value 2 is missing")
        try runner.expectFailure(["classify", "--train", train, "--val-split", "1"], mentioning: "--val-split")
        try runner.expectFailure(
            ["classify", "--train", train, "--model", "fcn", "--bidirectional"], mentioning: "--bidirectional")
        let info = try runner.run(["info", "--model", "m.safetensors", "--json"])
        XCTAssertEqual(info.json["model"] as? String, "gru", info.stdout)
    }

    /// CSV rows with string labels take the default recurrent model; a classifier of CSV rows
    /// (classes 0...K-1) predicts a CSV file with the accuracy classify reported.
    func testStringLabelledCSVAndPredictWithACSVRowModel() throws {
        var text = "", numeric = ""
        for i in 0..<24 {
            let up = i % 2 == 0
            let values = (0..<12).map { t in String(Float(t) / 12 * (up ? 1 : -1) + Float(i % 5) * 0.01) }
            text += (up ? "up," : "down,") + values.joined(separator: ",") + "\r\n"
            numeric += (up ? "1," : "0,") + values.joined(separator: ",") + "\n"
        }
        try text.write(toFile: runner.path("s.csv"), atomically: true, encoding: .utf8)
        try numeric.write(toFile: runner.path("n.csv"), atomically: true, encoding: .utf8)
        let s = try runner.run(["classify", "--train", "s.csv", "--json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stdout.contains("per-class accuracy (train): down:"), s.stdout)

        let c = try runner.run([
            "classify", "--train", "n.csv", "--test", "n.csv", "--out", "rows.safetensors", "--json",
        ])
        XCTAssertEqual(c.status, 0, c.stderr)
        let p = try runner.run(["predict", "--model", "rows.safetensors", "--input", "n.csv", "--json"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(
            try XCTUnwrap(p.json["accuracy"] as? Double), try XCTUnwrap(c.json["test_accuracy"] as? Double),
            accuracy: 1e-9)
        try runner.expectFailure(
            ["predict", "--model", "rows.safetensors", "--input", try writeTS("x.ts", count: 2, seed: 9)],
            mentioning: "x.ts: series have 2 channel(s), the model takes 1")
    }

    /// ResNet, an ensemble of two saved as one file that predict and info read, the epochs chosen by
    /// k-fold cross-validation, and the flags that do not go together.
    func testResNetEnsembleAndFolds() throws {
        let train = try writeTS("train.ts", count: 24, seed: 11), test = try writeTS("test.ts", count: 10, seed: 12)
        let r = try runner.run([
            "classify", "--train", train, "--test", test, "--model", "resnet", "--epochs", "3", "--ensemble", "2",
            "--out", "e.safetensors", "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.json["ensemble"] as? Int, 2, r.stdout)
        XCTAssertEqual(r.json["model"] as? String, "resnet")
        XCTAssertEqual((r.json["members"] as? [[String: Any]])?.compactMap { $0["seed"] as? Int }, [1, 2])
        XCTAssertTrue(r.stdout.contains("ensemble of 2 resnet models (seeds 1-2)"), r.stdout)
        XCTAssertTrue(r.stderr.contains("member 2 of 2 (seed 2): training 3 epochs"), r.stderr)
        let accuracy = try XCTUnwrap(r.json["test_accuracy"] as? Double)
        let p = try runner.run(["predict", "--model", "e.safetensors", "--input", test, "--json"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(try XCTUnwrap(p.json["accuracy"] as? Double), accuracy, accuracy: 1e-9)
        let info = try runner.run(["info", "--model", "e.safetensors", "--json"])
        XCTAssertEqual(info.json["format"] as? String, "seqtool.classifier-ensemble.v1", info.stdout)
        XCTAssertEqual((info.json["members"] as? [Any])?.count, 2)
        XCTAssertEqual(info.json["model"] as? String, "2 x resnet")

        let f = try runner.run([
            "classify", "--train", train, "--model", "fcn", "--epochs", "2", "--folds", "2", "--json",
        ])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(f.json["folds"] as? Int, 2, f.stdout)
        XCTAssertNotNil(f.json["cv_accuracy"] as? Double)
        XCTAssertTrue(f.stdout.contains("2-fold cross-validation chose"), f.stdout)
        XCTAssertTrue(f.stderr.contains("fold 2 of 2: 12 series train, 12 held out"), f.stderr)
        // The final run stops at the folds' epochs with the plateau patience of the whole budget
        // (300 epochs: 10), as the folds trained, not one sized for the shorter run.
        let g = try runner.run([
            "classify", "--train", train, "--model", "gru", "--hidden", "4", "--epochs", "300", "--folds", "2",
        ])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertTrue(g.stderr.contains("halved after 10 epochs"), g.stderr)

        try runner.expectFailure(
            ["classify", "--train", train, "--ensemble", "2", "--resume", "--out", "e.safetensors"],
            mentioning: "--ensemble")
        try runner.expectFailure(["classify", "--train", train, "--ensemble", "0"], mentioning: "--ensemble")
        // The default model is fitted, not trained: a training flag without --model says how to train a network.
        try runner.expectFailure(
            ["classify", "--train", train, "--epochs", "3"], mentioning: "--epochs does not apply to the default model")
        try runner.expectFailure(
            ["classify", "--train", train, "--folds", "2", "--val-split", "0.2"], mentioning: "--folds")
        try runner.expectFailure(
            ["classify", "--train", train, "--model", "fcn", "--folds", "40"], mentioning: "40 folds")
        try runner.expectFailure(["classify", "--train", train, "--plateau-patience=-1"], mentioning: "--plateau")
        try runner.expectFailure(
            ["classify", "--train", train, "--model", "fcn", "--folds", "2", "--patience", "5"],
            mentioning: "--patience")
        // A test file the model could not score is refused before any training, the folds' included.
        let oneChannel = try writeTS("one.ts", count: 4, seed: 13, channels: 1)
        let early = try runner.run([
            "classify", "--train", train, "--test", oneChannel, "--model", "fcn", "--epochs", "2", "--folds", "2",
        ])
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.stderr.contains("one.ts: series have 1 channel(s), the model takes 2"), early.stderr)
        XCTAssertFalse(early.stderr.contains("fold 1 of 2"), early.stderr)
        // A split that leaves one side empty is an error, not a crash or an accuracy of 0.
        try runner.expectFailure(
            ["classify", "--train", train, "--test-split", "0.01"], mentioning: "--test-split 0.01")
    }

    /// The convolution benchmark times the step and reports it as JSON; a --torch script that is
    /// not there is an error.
    func testBenchConv() throws {
        let r = try runner.run([
            "bench", "conv", "--lengths", "12,20", "--steps", "2", "--warmup", "0", "--rounds", "1", "--threads", "1",
            "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try XCTUnwrap(r.json["results"] as? [[String: Any]], r.stdout)
        XCTAssertEqual(results.compactMap { $0["length"] as? Int }, [12, 20])
        XCTAssertGreaterThan(try XCTUnwrap(results[0]["ms_per_step"] as? Double), 0)
        try runner.expectFailure(["bench", "conv", "--torch", "nowhere.py"], mentioning: "--torch")
        try runner.expectFailure(["bench", "conv", "--model", "lstm"], mentioning: "--model")
    }
}
