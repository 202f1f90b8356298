import CKernels

/// The FMA peak of this machine's cores, measured by a probe of independent FMA chains (see
/// `FMAProbe.c`): the ceiling a training step's GFLOP/s is a fraction of. Measured, not looked up,
/// because the same instruction set runs at different rates on different cores (Zen 4 splits a
/// 512-bit FMA into two 256-bit halves; Sapphire Rapids does not) and clocks differ.
public enum FMAPeak {
    /// GFLOP/s of `threads` cores with the vectors of `instructionSet`: the best of `repeats` runs
    /// of about a tenth of a second each. `portable` measures the AVX2 FMA where the CPU has it
    /// (the portable path's matrix products run on OpenBLAS, whose kernels use it) and is nil where
    /// it has not.
    public static func gflops(threads: Int, instructionSet: InstructionSet = .current, repeats: Int = 3) -> Double? {
        let isa: InstructionSet
        switch instructionSet {
        case .avx512, .avx2: isa = instructionSet
        case .portable:
            guard InstructionSet.supported.contains(.avx2) else { return nil }
            isa = .avx2
        }
        // About 0.1 s a run on a 4 GHz core with two FMA ports (48 FMAs a round).
        let rounds = isa == .avx512 ? 10_000_000 : 20_000_000
        let best = (0..<max(1, repeats)).map { _ in st_fma_peak(isa.kernelCode, Int32(max(1, threads)), rounds) }.max()
        return best.map { $0 / 1e9 }
    }
}
