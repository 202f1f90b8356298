import Foundation
import SeqTensor

/// The job this process belongs to: alone, or one rank of the job `mpirun -np N` started.
///
/// `mpirun` tells each process its place in environment variables (`OMPI_COMM_WORLD_SIZE`,
/// `_RANK`, `_LOCAL_SIZE`), so a process knows before joining MPI whether it is one of several, and
/// a build without MPI can refuse to run N independent copies that would overwrite each other's
/// files. Outside `mpirun`, and in a job of one rank, MPI is never started.
public enum World {
    /// The ranks of the job (1 outside `mpirun`).
    public static let size = environmentInt("OMPI_COMM_WORLD_SIZE") ?? 1
    /// This process's rank (0 outside `mpirun`).
    public static let rank = environmentInt("OMPI_COMM_WORLD_RANK") ?? 0
    /// The ranks of the job on this machine (1 outside `mpirun`).
    public static let localSize = environmentInt("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1
    /// Whether this build can join an MPI job (built with the `MPI` package trait).
    public static let hasMPI = MPIProcessGroup.isAvailable

    /// The group this process trains in: MPI's world in a job of several ranks, otherwise
    /// `SingleProcess`. Throws in a job of several ranks when this build has no MPI.
    public static func group() throws -> any ProcessGroup {
        guard size > 1 else { return SingleProcess() }
        guard hasMPI else { throw WorldError.builtWithoutMPI(ranks: size) }
        return MPIProcessGroup()
    }

    /// Ends MPI after a run that succeeded on every rank (nothing outside a job of several ranks).
    public static func finish() { if size > 1 && hasMPI { MPIProcessGroup.finalize() } }

    /// Ends the whole job with `code` from this rank: once MPI has started, `mpirun` stops the other
    /// ranks (a rank alone cannot leave a collective the others wait in); otherwise `exit`.
    public static func abort(code: Int32) -> Never {
        if size > 1 && hasMPI { MPIProcessGroup.abort(code: code) }
        exit(code)
    }

    static func environmentInt(_ name: String) -> Int? { ProcessInfo.processInfo.environment[name].flatMap(Int.init) }
}

/// A problem with the job seqtool was launched in.
public enum WorldError: Error, CustomStringConvertible {
    /// `mpirun` started several ranks of a build without MPI.
    case builtWithoutMPI(ranks: Int)

    public var description: String {
        switch self {
        case .builtWithoutMPI(let ranks):
            "mpirun started \(ranks) ranks, but this seqtool was built without MPI: build it with "
                + "`scripts/setup.sh --mpi` (swift build -c release --traits MPI)"
        }
    }
}
