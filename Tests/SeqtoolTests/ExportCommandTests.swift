import Foundation
import XCTest

/// `seqtool export`: what it refuses, and (where Python has onnxruntime) every exported kind run
/// in ONNX Runtime against seqtool's outputs by scripts/check-onnx.sh.
final class ExportCommandTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    /// The package root (this file is Tests/SeqtoolTests/ExportCommandTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func trainChar(cell: String, out: String) throws {
        try runner.writeVerse()
        let r = try runner.run([
            "train-char", "--corpus", "corpus.txt", "--cell", cell, "--hidden", "8", "--embed", "4", "--layers", "1",
            "--seq", "8", "--batch", "2", "--steps", "2", "--out", out,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testExportWritesTheGraphAndTheReference() throws {
        try trainChar(cell: "gru", out: "m.safetensors")
        let r = try runner.run([
            "export", "--model", "m.safetensors", "--format", "onnx", "--out", "m.onnx", "--reference", "m.json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("inputs tokens, h, outputs logits, h_out"), r.stdout)
        let onnx = try Data(contentsOf: URL(fileURLWithPath: runner.path("m.onnx")))
        XCTAssertEqual(onnx.first, 0x08, "a ModelProto starts with ir_version (field 1, varint)")
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: runner.path("m.json"))))
        let outputs = (reference as? [String: Any])?["outputs"] as? [String: Any]
        XCTAssertEqual(outputs?.keys.sorted(), ["h_out", "logits"])
    }

    func testWhatCannotBeExportedIsRefusedAndNothingWritten() throws {
        try trainChar(cell: "layer_norm_lstm", out: "ln.safetensors")
        try runner.expectFailure(
            ["export", "--model", "ln.safetensors", "--format", "onnx", "--out", "ln.onnx"],
            mentioning: "cannot export cell layer_norm_lstm to ONNX")
        XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path("ln.onnx")))
        try runner.expectFailure(
            ["export", "--model", "ln.safetensors", "--format", "onnx", "--out", "x.onnx", "--check-input", "a.txt"],
            mentioning: "--check-input needs --reference")
        try runner.expectFailure(
            ["export", "--model", "missing.safetensors", "--format", "onnx", "--out", "x.onnx"],
            mentioning: "missing.safetensors")
        try runner.expectFailure(
            ["export", "--model", "ln.safetensors", "--format", "onnx", "--out", runner.path("corpus.txt")],
            mentioning: "is not a file seqtool wrote of this kind")
    }

    func testImportOfAnExportedCharModelGivesTheSameLoss() throws {
        try trainChar(cell: "lstm", out: "m.safetensors")
        XCTAssertEqual(try runner.run(["export", "--model", "m.safetensors", "--out", "m.onnx"]).status, 0)
        let r = try runner.run(["import", "--onnx", "m.onnx", "--out", "back.safetensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("character model (lstm, 1 layer(s) of 8"), r.stdout)
        let losses = try ["m.safetensors", "back.safetensors"].map { model in
            try runner.run(["eval", "--model", model, "--corpus", "corpus.txt", "--json"]).json["loss"] as? Double
        }
        XCTAssertNotNil(losses[0])
        XCTAssertEqual(losses[0], losses[1])
    }

    func testImportRefusesWhatDoesNotFitAndWritesNothing() throws {
        for arguments in [
            ["make-sine", "--out", "sine.csv", "--points", "16", "--phases", "random", "--count", "4"],
            ["classify", "--train", "sine.csv", "--model", "fcn", "--steps", "1", "--out", "c.safetensors"],
            ["export", "--model", "c.safetensors", "--out", "c.onnx"],
        ] {
            let r = try runner.run(arguments)
            XCTAssertEqual(r.status, 0, "\(arguments): \(r.stderr)")
        }
        // An FCN (its mask, convolutions, batch norm) is not among the layers import reads.
        try runner.expectFailure(
            ["import", "--onnx", "c.onnx", "--out", "back.safetensors"],
            mentioning: "does not fit seqtool's layers")
        try runner.expectFailure(["import", "--onnx", "sine.csv", "--out", "back.safetensors"], mentioning: "sine.csv")
        XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path("back.safetensors")))
        try runner.expectFailure(
            ["export", "--model", "c.safetensors", "--out", "c2.onnx", "--graph", "step"],
            mentioning: "--graph applies to character models")
    }

    /// A Python with onnx and onnxruntime: $ONNX_PYTHON, the virtual environment check-onnx.sh
    /// makes, or python3; nil when none has them.
    func onnxPython() -> String? {
        let candidates =
            [ProcessInfo.processInfo.environment["ONNX_PYTHON"], Self.root + "/.build/onnx-venv/bin/python"]
            .compactMap { $0 } + ["/usr/bin/env"]
        for python in candidates {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + ["-c", "import onnx, onnxruntime"]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
            if process.terminationStatus == 0 { return python == "/usr/bin/env" ? "python3" : python }
        }
        return nil
    }

    /// Every exported kind (character models of every cell, step and sequence; recurrent classifiers
    /// stacked, bidirectional, over unequal lengths; FCN, ResNet, LSTM-FCN, MLP) agrees with ONNX
    /// Runtime to 1e-5, and greedy decoding in ONNX Runtime equals `seqtool sample --greedy`.
    func testExportedModelsAgreeWithONNXRuntime() throws {
        guard let python = onnxPython() else {
            throw XCTSkip("no Python with onnx and onnxruntime (scripts/check-onnx.sh makes one; or set ONNX_PYTHON)")
        }
        let r = try runner.run(
            [Self.root + "/scripts/check-onnx.sh", CommandRunner.binary], environment: ["ONNX_PYTHON": python],
            executable: "/bin/bash")
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("all cases agree"), r.stdout)
        XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
    }
}
