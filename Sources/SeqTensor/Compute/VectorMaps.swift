import CKernels

/// `VectorMath`'s functions over whole buffers, on the instruction set in use: with AVX2 or
/// AVX-512 the C twins of `CKernels` (8 or 16 lanes, compiled for that instruction set), on the
/// portable path `VectorMath.map`. The results are the same bits either way.
extension VectorMath {
    /// y[i] = tanh(x[i]) for i < count; y may be x.
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, y, count: count, native: st_tanh) { tanh($0) }
    }

    /// y[i] = sigmoid(x[i]) for i < count; y may be x.
    public static func sigmoid(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, y, count: count, native: st_sigmoid) { sigmoid($0) }
    }

    /// y[i] = exp(x[i] - shift) for i < count (a softmax's numerators, shift the row's maximum);
    /// y may be x.
    public static func exp(
        _ x: UnsafePointer<Float>, minus shift: Float, into y: UnsafeMutablePointer<Float>, count: Int
    ) {
        apply(
            x, y, count: count, native: { st_exp_shifted($0, $1, shift, $2, $3) }, portable: { exp($0 - shift) })
    }

    /// `native(isa, x, y, count)` where the instruction set has C kernels, else `portable` over the
    /// buffer.
    @inline(__always)
    private static func apply(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
        native: (Int32, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
        portable: (SIMD16<Float>) -> SIMD16<Float>
    ) {
        let isa = InstructionSet.current
        if isa == .portable {
            map(x, y, count: count, portable)
        } else {
            native(isa.kernelCode, x, y, count)
        }
    }
}
