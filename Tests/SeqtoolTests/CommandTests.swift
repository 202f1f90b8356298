import Foundation
import XCTest

/// End-to-end runs of every subcommand at small sizes.
final class CommandTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    func writeCorpus() throws -> String {
        let text = String(
            repeating: "the quick brown fox jumps over the lazy dog.\nhello world, hello model.\n", count: 60)
        try text.write(toFile: runner.path("corpus.txt"), atomically: true, encoding: .utf8)
        return runner.path("corpus.txt")
    }

    func testTrainCharSampleEvalInfo() throws {
        let corpus = try writeCorpus()
        let train = try runner.run([
            "train-char", "--corpus", corpus, "--hidden", "32", "--layers", "2", "--embed", "8", "--seq", "16",
            "--batch", "4", "--steps", "60", "--lr", "1e-2", "--eval-every", "20", "--out", "m.safetensors", "--plot",
            "loss.svg", "--json", "--threads", "1",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        let summary = train.json
        for key in ["train_loss", "val_loss", "val_bpc", "steps", "seconds", "tokens_per_s", "model"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertEqual(summary["steps"] as? Int, 60)
        XCTAssertLessThan(summary["train_loss"] as! Double, 2.0)  // uniform over the vocabulary would be ln(27) = 3.3
        XCTAssertTrue(FileManager.default.fileExists(atPath: runner.path("m.state.safetensors")))
        XCTAssertTrue(try String(contentsOfFile: runner.path("loss.svg"), encoding: .utf8).contains("<polyline"))

        let sample = try runner.run([
            "sample", "--model", "m.safetensors", "--prime", "the ", "--length", "50", "--seed", "3",
        ])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertTrue(sample.stdout.hasPrefix("the "))
        XCTAssertEqual(sample.stdout.unicodeScalars.count, 4 + 50 + 1)
        let again = try runner.run([
            "sample", "--model", "m.safetensors", "--prime", "the ", "--length", "50", "--seed", "3",
        ])
        XCTAssertEqual(sample.stdout, again.stdout, "same seed, same text")
        let greedy = try runner.run(["sample", "--model", "m.safetensors", "--length", "20", "--greedy"])
        XCTAssertEqual(greedy.status, 0)
        let topk = try runner.run(["sample", "--model", "m.safetensors", "--length", "20", "--top-k", "1"])
        XCTAssertEqual(topk.stdout, greedy.stdout, "top-k 1 is greedy")
        XCTAssertEqual(
            try runner.run([
                "sample", "--model", "m.safetensors", "--length", "20", "--top-p", "0.5", "--temperature", "0.7",
            ]).status, 0)

        let eval = try runner.run(["eval", "--model", "m.safetensors", "--corpus", corpus, "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let loss = eval.json["loss"] as! Double, bpc = eval.json["bpc"] as! Double
        XCTAssertEqual(bpc, loss / log(2), accuracy: 1e-6)
        XCTAssertLessThan(loss, 2)

        let info = try runner.run(["info", "--model", "m.safetensors"])
        XCTAssertTrue(info.stdout.contains("LSTM(8 -> 32, layers 2)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("steps 60"), info.stdout)
    }

    func testResumeGivesTheLossesOfAnUninterruptedRun() throws {
        let corpus = try writeCorpus()
        let common = [
            "train-char", "--corpus", corpus, "--hidden", "16", "--layers", "2", "--embed", "8", "--seq", "8",
            "--batch", "4",
            "--dropout", "0.2", "--eval-every", "0", "--threads", "1", "--json",
        ]
        let straight = try runner.run(common + ["--steps", "30", "--out", "a.safetensors", "--checkpoint-every", "0"])
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let first = try runner.run(common + ["--steps", "15", "--out", "b.safetensors"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let resumed = try runner.run(common + ["--steps", "30", "--out", "b.safetensors", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = straight.json, b = resumed.json
        XCTAssertEqual(
            a["train_loss"] as! Double, b["train_loss"] as! Double, accuracy: 1e-6 * (a["train_loss"] as! Double))
        XCTAssertEqual(a["val_loss"] as! Double, b["val_loss"] as! Double, accuracy: 1e-6 * (a["val_loss"] as! Double))
    }

    func testMakeSineAndClassifyWithEveryModel() throws {
        let make = try runner.run([
            "make-sine", "--out", "s.csv", "--phases", "random", "--count", "6", "--points", "100", "--seed", "4",
            "--noise", "0.05",
        ])
        XCTAssertEqual(make.status, 0, make.stderr)
        let lines = try String(contentsOfFile: runner.path("s.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 60)
        XCTAssertEqual(lines[0].split(separator: ",").count, 101)
        XCTAssertEqual(try runner.run(["make-sine", "--out", "tutorial.csv"]).status, 0)
        let tutorial = try String(contentsOfFile: runner.path("tutorial.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(tutorial.count, 200)
        // Class 0, first normal-draw phase 2.108, t = 0: sin(2.108).
        XCTAssertEqual(Double(tutorial[0].split(separator: ",")[1])!, sin(2.108), accuracy: 1e-6)
        for model in [
            ["--model", "lstm", "--hidden", "8"], ["--model", "gru", "--hidden", "8"],
            ["--model", "rnn", "--hidden", "8"],
            ["--model", "mlp", "--layers", "16,8"], ["--model", "cnn1d"], ["--model", "cnn2d", "--image", "10x10"],
        ] {
            let r = try runner.run(
                [
                    "classify", "--train", "s.csv", "--test-split", "0.25", "--epochs", "3", "--json", "--out",
                    "c.safetensors",
                    "--plot", "c.svg", "--force",
                ] + model)
            XCTAssertEqual(r.status, 0, "\(model): \(r.stderr)")
            XCTAssertNotNil(r.json["test_accuracy"], "\(model): \(r.stdout)")
            XCTAssertNotNil(r.json["train_accuracy"])
            XCTAssertTrue(r.stdout.contains("confusion matrix"))
            XCTAssertTrue(r.stdout.contains("per-class accuracy"))
        }
    }

    /// Every fixture passes on every instruction set this machine runs (`portable` always; the
    /// native GEMM, GEMV and gate kernels of AVX2 and AVX-512 where the CPU has them).
    func testParityCommandReportsEveryCaseOnEveryInstructionSet() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/parity").path
        var ran: [String] = []
        for isa in ["portable", "avx2", "avx512"] {
            let r = try runner.run(["parity", fixtures], environment: ["SEQTOOL_ISA": isa])
            if r.status != 0 && r.stderr.contains("this CPU does not run") { continue }
            XCTAssertEqual(r.status, 0, "\(isa): \(r.stdout)\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("lstm_4"), isa)
            XCTAssertTrue(r.lastLine.hasSuffix("passed, 0 failed"), "\(isa): \(r.lastLine)")
            ran.append(isa)
        }
        XCTAssertEqual(ran.first, "portable")
        // A name that is no instruction set is an error, not a silent fallback.
        let bad = try runner.run(["parity", fixtures], environment: ["SEQTOOL_ISA": "sse9"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("SEQTOOL_ISA=sse9"), bad.stderr)
    }

    func testAPreparedCorpusTrainsAndEvaluatesAsItsText() throws {
        let corpus = try writeCorpus()
        let prepare = try runner.run(["prepare", "--corpus", corpus, "--out", "c.tokens"])
        XCTAssertEqual(prepare.status, 0, prepare.stderr)
        let flags = [
            "--hidden", "16", "--layers", "1", "--embed", "8", "--seq", "16", "--batch", "4", "--steps", "8",
            "--eval-every", "4", "--threads", "1", "--json",
        ]
        let fromText = try runner.run(["train-char", "--corpus", corpus, "--out", "a.safetensors"] + flags)
        let fromTokens = try runner.run(["train-char", "--corpus", "c.tokens", "--out", "b.safetensors"] + flags)
        XCTAssertEqual(fromTokens.status, 0, fromTokens.stderr)
        for key in ["train_loss", "val_loss"] {
            XCTAssertEqual(fromText.json[key] as? Double, fromTokens.json[key] as? Double, key)
        }
        let evalText = try runner.run(["eval", "--model", "a.safetensors", "--corpus", corpus, "--json"])
        let evalTokens = try runner.run(["eval", "--model", "a.safetensors", "--corpus", "c.tokens", "--json"])
        XCTAssertEqual(evalTokens.status, 0, evalTokens.stderr)
        XCTAssertEqual(evalText.json["loss"] as? Double, evalTokens.json["loss"] as? Double)
        XCTAssertEqual(evalText.json["predictions"] as? Int, evalTokens.json["predictions"] as? Int)
        // A model of another vocabulary refuses the prepared file, naming it.
        _ = try "xyz xyz xyz\n".write(toFile: runner.path("other.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try runner.run(["prepare", "--corpus", "other.txt", "--out", "o.tokens"]).status, 0)
        try runner.expectFailure(["eval", "--model", "a.safetensors", "--corpus", "o.tokens"], mentioning: "o.tokens")
    }

    func testGenerateForecastAndSeq2Seq() throws {
        XCTAssertEqual(
            try runner.run(["make-sine", "--out", "zero.csv", "--phases", "zero", "--stride", "10"]).status, 0)
        let zero = try String(contentsOfFile: runner.path("zero.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(zero.count, 10)
        XCTAssertEqual(zero[0].split(separator: ",").count, 101)
        let fit = try runner.run([
            "generate", "train", "--train", "zero.csv", "--hidden", "8", "--steps", "20", "--out", "g.safetensors",
            "--json",
        ])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertNotNil(fit.json["max_free_running_mse"])
        let draw = try runner.run([
            "generate", "draw", "--model", "g.safetensors", "--class", "3", "--length", "40", "--csv", "g.csv",
            "--plot", "g.svg",
        ])
        XCTAssertEqual(draw.status, 0, draw.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: runner.path("g.csv"), encoding: .utf8).split(separator: "\n").count, 41)
        XCTAssertTrue(try String(contentsOfFile: runner.path("g.svg"), encoding: .utf8).contains("training curve"))
        try runner.expectFailure(
            ["generate", "draw", "--model", "g.safetensors", "--class", "10"], mentioning: "--class 10")

        XCTAssertEqual(
            try runner.run([
                "make-sine", "--out", "series.csv", "--phases", "random", "--count", "1", "--points", "120", "--noise",
                "0.1",
            ]).status, 0)
        let forecast = try runner.run([
            "forecast", "--train", "series.csv", "--label-column", "first", "--horizon", "10", "--window", "30",
            "--hidden", "8", "--steps", "20", "--json", "--plot", "f.svg",
        ])
        XCTAssertEqual(forecast.status, 0, forecast.stderr)
        // The older spelling `forecast --train` is `forecast evaluate --train`.
        XCTAssertTrue(forecast.stderr.contains("forecast evaluate --train"), forecast.stderr)
        for key in ["mase", "smape", "rmse", "seconds", "baselines"] { XCTAssertNotNil(forecast.json[key], key) }
        try runner.expectFailure(
            ["forecast", "--train", "series.csv", "--label-column", "first", "--horizon", "100"], mentioning: "at least"
        )

        XCTAssertEqual(
            try runner.run(["make-pairs", "reverse", "--out", "p.tsv", "--count", "200", "--max-digits", "6"]).status, 0
        )
        XCTAssertEqual(
            try runner.run(["make-pairs", "add", "--out", "q.tsv", "--count", "50", "--exclude", "p.tsv"]).status, 0)
        let lines = try String(contentsOfFile: runner.path("q.tsv"), encoding: .utf8).split(separator: "\n")
        let parts = lines[0].split(separator: "\t")
        let operands = parts[0].split(separator: "+").map { Int($0)! }
        XCTAssertEqual(operands[0] + operands[1], Int(parts[1])!)
        let s2s = try runner.run([
            "seq2seq", "train", "--train", "p.tsv", "--test", "p.tsv", "--hidden", "16", "--steps", "10", "--batch",
            "8", "--out", "s.safetensors", "--json",
        ])
        XCTAssertEqual(s2s.status, 0, s2s.stderr)
        XCTAssertNotNil(s2s.json["test_exact_match"])
        XCTAssertEqual(
            try runner.run(["seq2seq", "translate", "--model", "s.safetensors", "--input", "12345"]).status, 0)
        try runner.expectFailure(
            ["seq2seq", "translate", "--model", "s.safetensors", "--input", "12a"], mentioning: "'a'")
        _ = try "no tab here\n".write(toFile: runner.path("bad.tsv"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["seq2seq", "train", "--train", "bad.tsv"], mentioning: "bad.tsv:1: needs input<TAB>output")

        // The spellings from before the subcommands still run, with a note that names the new one.
        let legacyDraw = try runner.run(["generate", "--model", "g.safetensors", "--class", "2", "--length", "5"])
        XCTAssertEqual(legacyDraw.status, 0, legacyDraw.stderr)
        XCTAssertTrue(legacyDraw.stderr.contains("is now `seqtool generate draw --model"), legacyDraw.stderr)
        let legacyTranslate = try runner.run(["seq2seq", "--model", "s.safetensors", "--input", "12345"])
        XCTAssertEqual(legacyTranslate.status, 0, legacyTranslate.stderr)
        XCTAssertTrue(legacyTranslate.stderr.contains("is now `seqtool seq2seq translate"), legacyTranslate.stderr)
        try runner.expectFailure(
            ["generate", "--class", "2"], mentioning: "seqtool generate train or seqtool generate draw")
        try runner.expectFailure(["classify", "--train", "zero.csv", "--model", "transformer"], mentioning: "--model")
    }
}
