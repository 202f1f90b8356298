import ArgumentParser
import Distributed
import Foundation
import SeqTensor

/// `mpirun -np N seqtool bench allreduce`: the time of the gradient allreduce of data-parallel
/// training, on its own (one buffer of --params floats summed over the ranks, as
/// `GradientAverager` sends it), so the transport can be compared (`--mca btl tcp,self`).
struct AllReduceBench: ParsableCommand, DataParallelCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the gradient allreduce over the ranks mpirun started (median of --repeats).",
        discussion: """
            The default size is the headline character model's (LSTM 2x256, 876,929 parameters, \
            3.5 MB). Bus bandwidth is the ring allreduce's traffic per rank, 2 (N-1)/N x bytes, over \
            the time (NCCL's definition), comparable across rank counts.
            """)

    @Option(help: "Floats per allreduce (default: the headline model's parameters, flags and loss).")
    var params = 876_929
    @Option(help: "Timed allreduces.") var repeats = 50
    @OptionGroup var output: JSONOptions

    func validate() throws {
        try require(params > 0, "--params", "must be positive")
        try require(repeats > 0, "--repeats", "must be positive")
    }

    func run() throws {
        let group = try reporting { try World.group() }
        var buffer = [Float](repeating: 1, count: params)
        var times: [Double] = []
        for i in 0..<(repeats + 3) {
            // Start together, so the time is the transfer's and not a late rank's.
            var start = [Double(i)]
            start.withUnsafeMutableBufferPointer { group.allReduce($0, .max) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            buffer.withUnsafeMutableBufferPointer { group.allReduce($0, .sum) }
            if i >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9) }
        }
        let median = times.sorted()[times.count / 2]
        let bytes = Double(params * MemoryLayout<Float>.size), n = Double(group.size)
        let busBandwidth = 2 * (n - 1) / n * bytes / median / 1e9
        print(
            String(format: "allreduce of %d floats (%.2f MB) over %d rank(s): ", params, bytes / 1e6, group.size)
                + String(format: "%.3f ms (median of %d), bus bandwidth %.2f GB/s", median * 1e3, repeats, busBandwidth)
        )
        output.emit(["params": params, "ranks": group.size, "ms": median * 1e3, "bus_gb_per_s": busBandwidth])
    }
}
