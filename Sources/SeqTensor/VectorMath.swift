/// Vectorised float32 `exp`, `log`, `tanh` and `sigmoid` on SIMD vectors (generic over the
/// width; used as `SIMD8<Float>` and `SIMD16<Float>`), accurate to a few ulps over the whole
/// range, denormal results and ±inf/NaN included. The hot kernels call these, never
/// `Foundation.exp` per element.
public enum VectorMath {
    // exp: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 split in two), exp(r) by its
    // degree-7 Taylor polynomial (truncation < 6e-9 relative), then 2^n applied as two
    // power-of-two factors so results down in the denormals round only once.
    @usableFromInline static let log2e: Float = 1.442_695_04
    @usableFromInline static let ln2Hi: Float = 0.693_145_751_953_125
    @usableFromInline static let ln2Lo: Float = 1.428_606_765_330_187_0e-6
    /// 1.5 * 2^23: adding it rounds a float to the nearest integer held in the low mantissa bits.
    @usableFromInline static let roundingShifter: Float = 12_582_912

    @inlinable @inline(__always)
    public static func exp<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        let clamped = x.clamped(lowerBound: V(repeating: -104), upperBound: V(repeating: 89))
        let shifted = clamped * log2e + roundingShifter
        let nBits = unsafeBitCast(shifted, to: V.MaskStorage.self) &- unsafeBitCast(V(repeating: roundingShifter), to: V.MaskStorage.self)
        let n = shifted - roundingShifter
        var r = clamped - n * ln2Hi
        r = r - n * ln2Lo
        var p = V(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let half = nBits &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scale2 = unsafeBitCast((nBits &- half &+ 127) &<< 23, to: V.self)
        let result = p * scale1 * scale2
        return result.replacing(with: x, where: x .!= x)
    }

    // log: x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1),
    // |s| <= 0.1716, by its odd series through s^11 (truncation < 3e-10 relative).
    @inlinable @inline(__always)
    public static func log<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        typealias I = V.MaskStorage
        let tiny = x .< V(repeating: Float.leastNormalMagnitude)
        let scaled = x.replacing(with: x * 16_777_216, where: tiny) // 2^24 lifts denormals
        let bits = unsafeBitCast(scaled, to: I.self)
        // The biased exponent, turned into a float by the same shifter trick as in exp.
        let biased = (bits &>> 23) & I(repeating: 0xff)
        var ef = unsafeBitCast(biased &+ unsafeBitCast(V(repeating: roundingShifter), to: I.self), to: V.self)
            - (roundingShifter + 127)
        ef = ef.replacing(with: ef - 24, where: tiny)
        var m = unsafeBitCast((bits & I(repeating: 0x7f_ffff)) | I(repeating: 0x3f80_0000), to: V.self)
        let big = m .> V(repeating: 1.414_213_56)
        m = m.replacing(with: m * 0.5, where: big)
        ef = ef.replacing(with: ef + 1, where: big)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var p = V(repeating: 2.0 / 11)
        p = p * s2 + 2.0 / 9
        p = p * s2 + 2.0 / 7
        p = p * s2 + 2.0 / 5
        p = p * s2 + 2.0 / 3
        let logM = s * 2 + s * s2 * p
        var result = ef * ln2Hi + (logM + ef * ln2Lo)
        result = result.replacing(with: -.infinity, where: x .== V(repeating: 0))
        result = result.replacing(with: .infinity, where: x .== V(repeating: .infinity))
        result = result.replacing(with: .nan, where: x .< V(repeating: 0) .| (x .!= x))
        return result
    }

    // tanh: for |x| < 0.625, x + x^3 P(x^2) with P a least-squares fit of (tanh x - x)/x^3
    // (error < 3e-9 relative); above, 1 - 2/(exp(2|x|) + 1), which has no cancellation there.
    @inlinable @inline(__always)
    public static func tanh<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        let ax = x.replacing(with: -x, where: x .< V(repeating: 0))
        let e = exp(ax * 2)
        let large = 1 - 2 / (e + 1)
        let x2 = x * x
        var p = V(repeating: 2.339_316_626e-03)
        p = p * x2 - 8.386_106_555e-03
        p = p * x2 + 2.178_215_449e-02
        p = p * x2 - 5.396_093_581e-02
        p = p * x2 + 1.333_331_087e-01
        p = p * x2 - 3.333_333_322e-01
        let small = x + x * x2 * p
        let signedLarge = large.replacing(with: -large, where: x .< V(repeating: 0))
        return small.replacing(with: signedLarge, where: ax .>= V(repeating: 0.625))
    }

    // sigmoid: 1/(1 + e^-|x|), and for x < 0 the same times e^x (= e^-|x|), so that neither
    // branch overflows and tiny results keep their relative accuracy.
    @inlinable @inline(__always)
    public static func sigmoid<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        let ax = x.replacing(with: -x, where: x .< V(repeating: 0))
        let e = exp(-ax)
        let s = 1 / (1 + e)
        return s.replacing(with: e * s, where: x .< V(repeating: 0))
    }

    /// Scalar `exp` through the vector kernel (for code that needs one value at a time).
    @inlinable public static func exp(_ x: Float) -> Float { exp(SIMD8<Float>(repeating: x))[0] }
    /// Scalar `log` through the vector kernel.
    @inlinable public static func log(_ x: Float) -> Float { log(SIMD8<Float>(repeating: x))[0] }
    /// Scalar `tanh` through the vector kernel.
    @inlinable public static func tanh(_ x: Float) -> Float { tanh(SIMD8<Float>(repeating: x))[0] }
    /// Scalar `sigmoid` through the vector kernel.
    @inlinable public static func sigmoid(_ x: Float) -> Float { sigmoid(SIMD8<Float>(repeating: x))[0] }

    /// dst[i] = f(src[i]) for i < count, sixteen lanes at a time; the tail runs through a
    /// zero-padded vector so every element goes through the same kernel.
    @inlinable @inline(__always)
    public static func map(
        _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
        _ f: (SIMD16<Float>) -> SIMD16<Float>
    ) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var v = SIMD16<Float>(repeating: 0)
            for j in 0..<(count - i) { v[j] = src[i + j] }
            let r = f(v)
            for j in 0..<(count - i) { dst[i + j] = r[j] }
        }
    }
}
