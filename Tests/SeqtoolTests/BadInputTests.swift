import Foundation
import XCTest

/// Wrong input gets one line naming the file, line, flag or tensor, and a non-zero exit, never a
/// crash; and no partial output file is left behind.
final class BadInputTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: runner.path(name), atomically: true, encoding: .utf8)
        return runner.path(name)
    }

    func testCorpusProblems() throws {
        try runner.expectFailure(["train-char", "--corpus", "missing.txt"], mentioning: "missing.txt: no such file")
        let empty = try write("empty.txt", "")
        try runner.expectFailure(["train-char", "--corpus", empty], mentioning: "corpus is empty")
        let short = try write("short.txt", "abc")
        try runner.expectFailure(["train-char", "--corpus", short], mentioning: "too few")
        try Data([0x61, 0x62, 0xff, 0xfe]).write(to: URL(fileURLWithPath: runner.path("binary.txt")))
        try runner.expectFailure(["train-char", "--corpus", runner.path("binary.txt")], mentioning: "not valid UTF-8")
        try FileManager.default.createDirectory(atPath: runner.path("emptydir"), withIntermediateDirectories: true)
        try runner.expectFailure(["train-char", "--corpus", runner.path("emptydir")], mentioning: "no text files")
        XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path("charlm.safetensors")))
    }

    func testFlagsOutOfRange() throws {
        try runner.expectFailure(["train-char", "--hidden", "-3"], mentioning: "--hidden")
        try runner.expectFailure(["train-char", "--dropout", "1.5"], mentioning: "--dropout")
        try runner.expectFailure(["train-char", "--steps", "5", "--epochs", "2"], mentioning: "--steps")
        try runner.expectFailure(["sample", "--model", "m", "--temperature", "0"], mentioning: "--temperature")
        try runner.expectFailure(["eval", "--model", "m", "--corpus", "c", "--streams", "0"], mentioning: "--streams")
        try runner.expectFailure(["eval", "--model", "m", "--corpus", "c", "--warmup", "-1"], mentioning: "--warmup")
        try runner.expectFailure(
            ["eval", "--model", "m", "--corpus", "c", "--exact", "--streams", "8"], mentioning: "--exact")
        try runner.expectFailure(["sample", "--model", "m", "--top-p", "1.5"], mentioning: "--top-p")
        try runner.expectFailure(["classify", "--train", "x.csv", "--model", "cnn2d"], mentioning: "--image")
        try runner.expectFailure(
            ["classify", "--train", "x.csv", "--model", "mlp", "--layers", "10,-2"], mentioning: "--layers")
    }

    func testCSVProblems() throws {
        let ragged = try write("ragged.csv", "0,1,2,3\n1,1,2\n")
        try runner.expectFailure(
            ["classify", "--train", ragged], mentioning: "ragged.csv:2: has 2 values, earlier rows have 3")
        let word = try write("word.csv", "0,1,2\n1,1,abc\n")
        try runner.expectFailure(
            ["classify", "--train", word], mentioning: "word.csv:2:3: value \"abc\" is not a number")
        let nan = try write("nan.csv", "0,1,nan\n")
        try runner.expectFailure(["classify", "--train", nan], mentioning: "nan.csv:1:3")
        // Labels are strings ("0.5" is a class name); an empty one is an error at its place.
        let label = try write("label.csv", "0,1,2\n,1,2\n")
        try runner.expectFailure(["classify", "--train", label], mentioning: "label.csv:2:1")
        let train = try write("train.csv", "0,1,2\n1,2,3\n")
        let test = try write("test.csv", "0,1,2\n5,2,3\n")
        try runner.expectFailure(
            ["classify", "--train", train, "--test", test],
            mentioning: "label \"5\" is not one of the model's classes (0, 1)")
        try runner.expectFailure(["classify", "--train", runner.folder], mentioning: "is a folder")
    }

    func testModelFileProblems() throws {
        try runner.expectFailure(
            ["sample", "--model", "none.safetensors"], mentioning: "none.safetensors: cannot be read (no such file)")
        let junk = try write("junk.safetensors", "this is not a model")
        try runner.expectFailure(["sample", "--model", junk], mentioning: "junk.safetensors: header length")
        // A classifier is not a character model.
        _ = try write("s.csv", "0,1,2,3,4\n1,4,3,2,1\n")
        XCTAssertEqual(
            try runner.run([
                "classify", "--train", "s.csv", "--model", "mlp", "--epochs", "1", "--out", "c.safetensors",
            ]).status, 0)
        try runner.expectFailure(["sample", "--model", "c.safetensors"], mentioning: "not a character model")
        try runner.expectFailure(["train-char", "--out", "s.csv", "--steps", "1"], mentioning: "--force")
        // Truncated model: the header promises more bytes than there are.
        let corpus = try write("c.txt", String(repeating: "abcdefgh\n", count: 200))
        XCTAssertEqual(
            try runner.run([
                "train-char", "--corpus", corpus, "--hidden", "8", "--layers", "1", "--embed", "4", "--seq", "8",
                "--batch", "2",
                "--steps", "2", "--out", "m.safetensors",
            ]).status, 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: runner.path("m.safetensors")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: runner.path("half.safetensors")))
        try runner.expectFailure(["info", "--model", "half.safetensors"], mentioning: "half.safetensors: ")
        // A text the model has never seen the characters of.
        let other = try write("other.txt", "xyz xyz xyz")
        try runner.expectFailure(
            ["eval", "--model", "m.safetensors", "--corpus", other], mentioning: "other.txt:1: character 'x'")
    }
}
