import ArgumentParser
import Distributed
import Foundation
import SeqTensor

/// `--threads`, with one default in every command that computes: every core of the machine.
struct ThreadOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Threads for matrix products and kernels (default: every core; under mpirun, shared among this "
                + "machine's ranks)."))
    var threads = max(1, ProcessInfo.processInfo.activeProcessorCount / World.localSize)

    func validate() throws {
        try require(threads > 0, "--threads", "must be positive")
        if case .failure(let error) = InstructionSet.selection { throw CommandError(error.description) }
    }

    /// Sets the thread count every later product and kernel uses.
    func apply() { BLASThreads.set(threads) }
}

/// `--seed`: the run's randomness (initialisation, data order, dropout, sampling) comes from it.
struct SeedOptions: ParsableArguments {
    @Option(help: "Random seed: the same seed and thread count give the same run.")
    var seed: UInt64 = 1
}

/// `--json`: a machine-readable summary as the last line of standard output.
struct JSONOptions: ParsableArguments {
    @Flag(help: "End with one JSON line summarising the run.")
    var json = false

    /// Prints `summary` as one JSON line when `--json` is given.
    func emit(_ summary: [String: Any]) {
        if json { print(jsonLine(summary)) }
    }
}

/// `--force`: outputs may replace files seqtool did not write.
struct ForceOptions: ParsableArguments {
    @Flag(help: "Overwrite output files even if they are files of another kind.")
    var force = false

    /// Refuses to replace `path` (given as `flag`) unless it is a file `isExpectedKind` accepts,
    /// or `--force` is given; a folder is always refused.
    func check(_ path: String?, flag: String, isExpectedKind: (String) -> Bool) throws {
        guard let path else { return }
        try checkOverwrite(path, force: force, flag: flag, isExpectedKind: isExpectedKind)
    }
}
