import Foundation
import XCTest

/// Data-parallel training: what every build checks about launches (from the environment
/// `mpirun` gives each rank), and, in a build with the MPI trait, runs under `mpirun` that must
/// train as one process does, and survive a killed rank.
final class DataParallelTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws {
        runner = try CommandRunner()
        try runner.writeVerse()
    }

    override func tearDown() { runner.remove() }

    /// A small character model; `--threads 1` so that two ranks fit two cores.
    let small = [
        "train-char", "--corpus", "corpus.txt", "--hidden", "32", "--layers", "2", "--embed", "8", "--seq", "16",
        "--batch", "4", "--threads", "1", "--dropout", "0",
    ]

    /// The environment `mpirun -np 2` gives rank 0 (without starting MPI: the checks come first).
    let twoRanks = ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"]

    func testCommandsOfOneProcessRefuseSeveralRanks() throws {
        let r = try runner.run(["sample", "--model", "m.safetensors"], environment: twoRanks)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertFalse(r.signaled)
        XCTAssertTrue(r.stderr.contains("sample runs in one process: start it without mpirun"), r.stderr)
    }

    func testTheBatchMustShareOutEvenly() throws {
        let r = try runner.run(small + ["--batch", "5"], environment: twoRanks)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--batch 5 is not a multiple of the 2 ranks"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path("charlm.safetensors")))
    }

    #if !MPI
        func testABuildWithoutMPIRefusesSeveralRanks() throws {
            let r = try runner.run(small + ["--steps", "2"], environment: twoRanks)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("built without MPI"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path("charlm.safetensors")))
        }
    #endif

    #if MPI
        /// The options every launch here needs (root, more ranks than cores) and, with `tcp`, the
        /// transport between machines.
        func mpirunOptions(tcp: Bool = false) -> [String] {
            ["mpirun", "--allow-run-as-root", "--oversubscribe"] + (tcp ? ["--mca", "btl", "tcp,self"] : [])
        }

        /// An application context of `mpirun`: `ranks` ranks of `seqtool arguments` (contexts joined by
        /// ":" give ranks different arguments or folders).
        func ranks(_ ranks: Int, _ arguments: [String], folder: String? = nil) -> [String] {
            ["-np", String(ranks)] + (folder.map { ["-wdir", $0] } ?? []) + [CommandRunner.binary] + arguments
        }

        /// Runs `mpirun` with `launch` (application contexts from `ranks`).
        func mpirun(_ launch: [String], tcp: Bool = false) throws -> CommandRunner.Result {
            try runner.run(launch, executable: "/usr/bin/env", prefix: mpirunOptions(tcp: tcp))
        }

        /// The metadata of a safetensors file (the JSON header's `__metadata__`).
        func metadata(_ name: String) throws -> [String: String] {
            let data = try Data(contentsOf: URL(fileURLWithPath: runner.path(name)))
            let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
            return header["__metadata__"] as! [String: String]
        }

        /// A loss curve "step:loss,..." as pairs.
        func curve(_ text: String?) -> [(Int, Double)] {
            (text ?? "").split(separator: ",").map {
                let p = $0.split(separator: ":")
                return (Int(p[0])!, Double(p[1])!)
            }
        }

        func assertSameCurves(_ a: String?, _ b: String?, count: Int, _ what: String) {
            let (x, y) = (curve(a), curve(b))
            XCTAssertEqual(x.count, count, what)
            XCTAssertEqual(x.map(\.0), y.map(\.0), what)
            for ((step, u), (_, v)) in zip(x, y) {
                XCTAssertEqual(u, v, accuracy: 1e-5 * abs(u), "\(what) at step \(step)")
            }
        }

        func testCharModelTrainsOnTwoRanksAsInOneProcess() throws {
            let flags = small + ["--steps", "20", "--eval-every", "5", "--checkpoint-every", "0"]
            let one = try runner.run(flags + ["--out", "one.safetensors"])
            XCTAssertEqual(one.status, 0, one.stderr)
            for tcp in [false, true] {
                let two = try mpirun(ranks(2, flags + ["--out", "two.safetensors", "--json"]), tcp: tcp)
                XCTAssertEqual(two.status, 0, two.stderr)
                XCTAssertEqual(two.json["ranks"] as? Int, 2, two.stdout)
                let (a, b) = (try metadata("one.state.safetensors"), try metadata("two.state.safetensors"))
                assertSameCurves(a["train_curve"], b["train_curve"], count: 20, "train loss (tcp: \(tcp))")
                assertSameCurves(a["val_curve"], b["val_curve"], count: 4, "validation loss (tcp: \(tcp))")
                let losses = try ["one", "two"].map { name in
                    let r = try runner.run(
                        [
                            "eval", "--model", "\(name).safetensors", "--corpus", "corpus.txt", "--json", "--threads",
                            "1",
                        ])
                    XCTAssertEqual(r.status, 0, r.stderr)
                    return try XCTUnwrap(r.json["loss"] as? Double)
                }
                XCTAssertEqual(losses[0], losses[1], accuracy: 1e-5 * losses[0])
            }
            // Only rank 0 speaks: one summary line, one progress log.
            let two = try mpirun(ranks(2, flags + ["--out", "two.safetensors", "--json"]))
            XCTAssertEqual(two.stdout.components(separatedBy: "model written to").count, 2, two.stdout)
            XCTAssertEqual(two.stderr.components(separatedBy: "step 20/20").count, 2, two.stderr)
        }

        func testClassifierTrainsOnTwoRanksAsInOneProcess() throws {
            for (name, seed, count) in [("train.csv", "1", "100"), ("test.csv", "2", "20")] {
                let r = try runner.run(
                    [
                        "make-sine", "--out", name, "--phases", "random", "--count", count, "--seed", seed, "--points",
                        "100",
                    ])
                XCTAssertEqual(r.status, 0, r.stderr)
            }
            // One epoch of 32 steps: longer runs of this small LSTM amplify rounding (the order of
            // the sums) until runs differ in the third digit, on one rank as between instruction sets.
            let flags = [
                "classify", "--train", "train.csv", "--test", "test.csv", "--model", "lstm", "--epochs", "1",
                "--threads", "1", "--json",
            ]
            let one = try runner.run(flags)
            XCTAssertEqual(one.status, 0, one.stderr)
            for tcp in [false, true] {
                let two = try mpirun(ranks(2, flags), tcp: tcp)
                XCTAssertEqual(two.status, 0, two.stderr)
                let (a, b) = (one.json, two.json)
                let loss = try XCTUnwrap(a["final_loss"] as? Double)
                XCTAssertEqual(loss, try XCTUnwrap(b["final_loss"] as? Double), accuracy: 1e-5 * loss)
                XCTAssertEqual(a["train_accuracy"] as? Double, b["train_accuracy"] as? Double)
                XCTAssertEqual(a["test_accuracy"] as? Double, b["test_accuracy"] as? Double)
            }
        }

        func testAKilledRankLeavesFilesThatResumeOnTwoRanksAndOnOne() throws {
            let flags = small + ["--eval-every", "0", "--checkpoint-every", "2", "--out", "k.safetensors"]
            let job = Process()
            job.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            job.arguments = mpirunOptions() + ranks(2, flags + ["--steps", "1000000"])
            job.currentDirectoryURL = URL(fileURLWithPath: runner.folder)
            job.standardOutput = FileHandle.nullDevice
            job.standardError = FileHandle.nullDevice
            try job.run()
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: runner.path("k.safetensors")) && Date() < deadline {
                usleep(20_000)
            }
            usleep(300_000)
            // The ranks' command lines start with seqtool's path (mpirun's with "mpirun"): kill one.
            let pids = try runner.run(
                [], executable: "/usr/bin/pgrep", prefix: ["-f", "^\(CommandRunner.binary) train-char.*k.safetensors"])
            let rank = try XCTUnwrap(pids.stdout.split(separator: "\n").compactMap { Int32($0) }.max())
            kill(rank, SIGKILL)
            job.waitUntilExit()
            XCTAssertNotEqual(job.terminationStatus, 0)

            let info = try runner.run(["info", "--model", "k.safetensors", "--json"])
            XCTAssertEqual(info.status, 0, info.stderr)
            let step = Int(try metadata("k.state.safetensors")["step"]!)!
            XCTAssertGreaterThan(step, 0)
            // Rank 1 runs in a folder of its own, as on another machine: only rank 0 has the files.
            let other = runner.path("other")
            try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: runner.path("corpus.txt"), toPath: other + "/corpus.txt")
            let resume = flags + ["--steps", String(step + 4), "--resume", "--json"]
            let onTwo = try mpirun(ranks(1, resume, folder: runner.folder) + [":"] + ranks(1, resume, folder: other))
            XCTAssertEqual(onTwo.status, 0, onTwo.stderr)
            XCTAssertEqual(onTwo.json["steps"] as? Int, step + 4)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other), ["corpus.txt"])
            let onOne = try runner.run(flags + ["--steps", String(step + 8), "--resume", "--json"])
            XCTAssertEqual(onOne.status, 0, onOne.stderr)
            XCTAssertEqual(onOne.json["steps"] as? Int, step + 8)
        }

        func testRanksGivenDifferentFlagsStop() throws {
            let flags = small + ["--steps", "3"]
            let r = try mpirun(ranks(1, flags) + [":"] + ranks(1, flags + ["--lr", "0.01"]))
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("the 2 ranks disagree on the command line"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path("charlm.safetensors")))
        }
    #endif
}
