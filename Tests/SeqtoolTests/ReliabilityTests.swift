import Foundation
import XCTest

/// Interrupted, killed and diverging training runs lose nothing.
final class ReliabilityTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws {
        runner = try CommandRunner()
        try runner.writeVerse()
    }

    override func tearDown() { runner.remove() }

    let small = [
        "--corpus", "corpus.txt", "--hidden", "32", "--layers", "2", "--embed", "8", "--seq", "16", "--batch", "4",
        "--threads", "1",
        "--eval-every", "0",
    ]

    /// Starts `seqtool train-char` in the background.
    func start(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        p.arguments = ["train-char"] + small + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: runner.folder)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return p
    }

    func waitFor(_ path: String, seconds: Double = 60) {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(20_000) }
    }

    func testDivergenceStopsNamingTheStepAndKeepsTheLastCheckpoint() throws {
        let r = try runner.run(
            ["train-char"] + small + [
                "--steps", "200", "--optimizer", "sgd", "--lr", "1e38", "--clip", "0",
                "--checkpoint-every", "1", "--out", "d.safetensors",
            ])
        XCTAssertFalse(r.signaled)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("training diverged at step"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--lr"), r.stderr)
    }

    func testInterruptSavesACheckpointThatResumes() throws {
        let p = try start(["--steps", "100000", "--checkpoint-every", "10", "--out", "i.safetensors"])
        waitFor(runner.path("i.safetensors"))
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 130)
        let info = try runner.run(["info", "--model", "i.safetensors"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let step = Int(info.stdout.components(separatedBy: "steps ").last!.prefix { $0.isNumber })!
        let resumed = try runner.run(
            ["train-char"] + small + ["--steps", String(step + 3), "--out", "i.safetensors", "--resume", "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.json["steps"] as? Int, step + 3)
    }

    /// SEQTOOL_KILL_RUNS=20 for the full check; 3 in the default run.
    func testSIGKILLAtRandomMomentsLeavesAModelThatLoadsAndAStateThatResumes() throws {
        let runs = Int(ProcessInfo.processInfo.environment["SEQTOOL_KILL_RUNS"] ?? "3") ?? 3
        var g = SystemRandomNumberGenerator()
        for run in 0..<runs {
            let p = try start(
                ["--steps", "100000", "--checkpoint-every", "1", "--out", "k.safetensors"]
                    + (run == 0 ? [] : ["--resume"]))
            waitFor(runner.path("k.state.safetensors"))
            usleep(UInt32.random(in: 50_000...600_000, using: &g))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let info = try runner.run(["info", "--model", "k.safetensors"])
            XCTAssertEqual(info.status, 0, "run \(run): \(info.stderr)")
            // The checkpoint resumes: one more step from wherever the kill left it.
            let state = try runner.run(["info", "--model", "k.state.safetensors"])
            XCTAssertEqual(state.status, 0, "run \(run): state file does not load: \(state.stderr)")
            let step = Int(state.stdout.components(separatedBy: "steps ").last!.prefix { $0.isNumber }) ?? -1
            let resumed = try runner.run(
                ["train-char"] + small + ["--steps", String(step + 1), "--out", "k.safetensors", "--resume", "--json"])
            XCTAssertEqual(resumed.status, 0, "run \(run): resume failed: \(resumed.stderr)")
            XCTAssertEqual(resumed.json["steps"] as? Int, step + 1)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: runner.folder).filter {
                $0.contains(".tmp-")
            }
            XCTAssertTrue(leftovers.count <= 1, "temporary files pile up: \(leftovers)")
        }
    }
}
