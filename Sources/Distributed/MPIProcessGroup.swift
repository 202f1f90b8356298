import SeqTensor

#if MPI
    import CMPI
#endif

/// `ProcessGroup` over MPI's world communicator (OpenMPI): the ranks `mpirun` started.
///
/// MPI is initialised once, on the first group made, with `MPI_THREAD_FUNNELED`: only the thread
/// that trains calls MPI, the kernels' worker threads never do. Collectives use MPI's default
/// error handler, which ends the job on a failure (a lost rank cannot be survived inside the job
/// with this OpenMPI; `mpirun` stops the others). Without the `MPI` package trait the type exists
/// but cannot be made (`isAvailable` is false).
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int

    /// Whether this build has MPI.
    public static var isAvailable: Bool {
        #if MPI
            true
        #else
            false
        #endif
    }

    #if MPI
        /// MPI_Init_thread, exactly once per process (a lazily initialised static is thread-safe).
        private static let initialized: Bool = {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, st_mpi_thread_funneled(), &provided)
            return true
        }()

        /// The world group (MPI started on first use).
        public init() {
            precondition(Self.initialized)
            var r: Int32 = 0, s: Int32 = 0
            MPI_Comm_rank(st_mpi_comm_world(), &r)
            MPI_Comm_size(st_mpi_comm_world(), &s)
            (rank, size) = (Int(r), Int(s))
        }

        static func operation(_ operation: ReduceOperation) -> MPI_Op {
            switch operation {
            case .sum: st_mpi_sum()
            case .max: st_mpi_max()
            }
        }

        public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) {
            MPI_Allreduce(
                st_mpi_in_place(), values.baseAddress, Int32(values.count), st_mpi_float(), Self.operation(operation),
                st_mpi_comm_world())
        }

        public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) {
            MPI_Allreduce(
                st_mpi_in_place(), values.baseAddress, Int32(values.count), st_mpi_double(), Self.operation(operation),
                st_mpi_comm_world())
        }

        public func allGather(_ bytes: UnsafeRawBufferPointer, into gathered: UnsafeMutableRawBufferPointer) {
            precondition(gathered.count == bytes.count * size, "allGather: \(gathered.count) bytes for \(size) ranks")
            MPI_Allgather(
                bytes.baseAddress, Int32(bytes.count), st_mpi_byte(), gathered.baseAddress, Int32(bytes.count),
                st_mpi_byte(), st_mpi_comm_world())
        }

        public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) {
            // In pieces of at most 1 GiB: MPI counts are 32-bit.
            for start in stride(from: 0, to: bytes.count, by: 1 << 30) {
                let n = min(1 << 30, bytes.count - start)
                MPI_Bcast(bytes.baseAddress! + start, Int32(n), st_mpi_byte(), Int32(root), st_mpi_comm_world())
            }
        }

        /// Whether MPI was started in this process (a command that fails before training never does).
        static var isStarted: Bool {
            var flag: Int32 = 0
            MPI_Initialized(&flag)
            return flag != 0
        }

        static func finalize() { if isStarted { MPI_Finalize() } }

        /// Ends every rank of the job with `code`, if MPI was started (otherwise returns).
        static func abort(code: Int32) { if isStarted { MPI_Abort(st_mpi_comm_world(), code) } }
    #else
        init() { fatalError("MPIProcessGroup: this build has no MPI (the MPI package trait)") }
        public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) {}
        public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) {}
        public func allGather(_ bytes: UnsafeRawBufferPointer, into gathered: UnsafeMutableRawBufferPointer) {}
        public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) {}
        static func finalize() {}
        static func abort(code: Int32) {}
    #endif
}
