import CKernels
import Foundation

/// The vector instruction sets seqtool's own kernels are written for, and the one this process
/// runs: the one place that answers "which instruction set may I use". (Which GEMM runs is
/// `GemmBackend`'s question.)
///
/// - `portable`: Swift's SIMD kernels (8 lanes, compiled for the target's baseline: SSE2 on
///   x86-64, where the package sets no compiler flags) and OpenBLAS.
/// - `avx2`: the C kernels of `CKernels` for AVX2 and FMA: GEMM (a 6 x 16 micro-kernel), GEMV,
///   and 8-lane gate kernels, activations and Adam.
/// - `avx512`: the same with AVX-512: GEMM with an 8 x 32 micro-kernel, 16 lanes elsewhere.
///
/// The gate kernels, activations and Adam give the same bits on every path (their C twins perform
/// the Swift kernels' operations in the same order).
///
/// `SEQTOOL_ISA=portable|avx2|avx512` in the environment forces one, for testing and comparing
/// paths; asking for one the CPU lacks, or one this build has no kernels for, is an error that
/// the command line reports at start (`InstructionSet.selection`).
public enum InstructionSet: String, Sendable, CaseIterable {
    case portable
    case avx2
    case avx512

    /// The instruction sets this build has kernels for.
    public static let implemented: [InstructionSet] = [.portable, .avx2, .avx512]

    /// The instruction sets this CPU and OS run, `portable` first.
    public static let supported: [InstructionSet] = {
        var sets: [InstructionSet] = [.portable]
        if st_cpu_supports(Int32(ST_CPU_AVX2_FMA)) != 0 { sets.append(.avx2) }
        if st_cpu_supports(Int32(ST_CPU_AVX512)) != 0 { sets.append(.avx512) }
        return sets
    }()

    /// The best instruction set both this CPU and this build have, or the one `SEQTOOL_ISA` names.
    public static let selection: Result<InstructionSet, InstructionSetError> = {
        let usable = supported.filter(implemented.contains)
        guard let name = ProcessInfo.processInfo.environment["SEQTOOL_ISA"], !name.isEmpty else {
            return .success(usable.last ?? .portable)
        }
        guard let wanted = InstructionSet(rawValue: name.lowercased()) else {
            return .failure(InstructionSetError("SEQTOOL_ISA=\(name) is not one of portable, avx2, avx512"))
        }
        guard supported.contains(wanted) else {
            return .failure(InstructionSetError("SEQTOOL_ISA=\(name): this CPU does not run \(name)"))
        }
        guard implemented.contains(wanted) else {
            return .failure(InstructionSetError("SEQTOOL_ISA=\(name): this build has no \(name) kernels"))
        }
        return .success(wanted)
    }()

    /// The instruction set in use, fixed at first use (`portable` when `selection` failed).
    public static let current: InstructionSet = (try? selection.get()) ?? .portable

    /// The `isa` argument of the C kernels for this instruction set (0 for `portable`, which has none).
    public var kernelCode: Int32 {
        switch self {
        case .portable: 0
        case .avx2: Int32(ST_CPU_AVX2_FMA)
        case .avx512: Int32(ST_CPU_AVX512)
        }
    }
}

/// `SEQTOOL_ISA` asked for an instruction set that cannot run here.
public struct InstructionSetError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming `SEQTOOL_ISA` and the value it was given.
    public let description: String
    init(_ description: String) { self.description = description }
}
