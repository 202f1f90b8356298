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

    /// Sets the thread count every later product and kernel uses. A rank that `mpirun` bound to
    /// fewer cores than its threads (OpenMPI binds each of two or fewer ranks to one core) is told.
    func apply() {
        BLASThreads.set(threads)
        if World.size > 1, let cores = Self.allowedCores(), cores < threads {
            printError(
                "warning: mpirun bound each rank to \(cores) core(s), but --threads is \(threads): add --bind-to none "
                    + "(or --map-by slot:PE=\(threads)) to mpirun, or use --threads \(cores)")
        }
    }

    /// The cores this process may run on (its affinity mask, from Linux's /proc/self/status), nil
    /// where that cannot be read.
    static func allowedCores() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        let mask = line.dropFirst("Cpus_allowed:".count).filter(\.isHexDigit)
        return mask.reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
    }
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
