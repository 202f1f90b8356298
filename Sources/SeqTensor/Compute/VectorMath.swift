/// Vectorised float32 `exp`, `log`, `tanh` and `sigmoid` on SIMD vectors (generic over the
/// width; used as `SIMD4<Float>`, `SIMD8<Float>` and `SIMD16<Float>`), accurate to a few ulps
/// over the whole range, denormal results and ±inf/NaN included. The hot kernels call these,
/// never `Foundation.exp` per element; with AVX2 or AVX-512 their C twins run instead
/// (`CKernels/VectorMath.h`, the same bits).
public enum VectorMath {
    // exp: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 split in two), exp(r) by its
    // degree-7 Taylor polynomial (truncation < 6e-9 relative), then 2^n applied as two
    // power-of-two factors so results down in the denormals round only once.
    @usableFromInline static let log2e: Float = 1.442_695_04
    @usableFromInline static let ln2Hi: Float = 0.693_145_751_953_125
    @usableFromInline static let ln2Lo: Float = 1.428_606_765_330_187_0e-6
    /// 1.5 * 2^23: adding it rounds a float to the nearest integer held in the low mantissa bits.
    @usableFromInline static let roundingShifter: Float = 12_582_912

    // Lane masks are built from sign bits and integer arithmetic, never from SIMD comparisons or
    // `replacing(with:where:)`: the standard library lowers those to per-lane loops, while
    // shifts, ands and ors stay vector instructions.

    /// All ones in lanes where x's sign bit is set (x < 0, or -0), zero elsewhere.
    @inlinable @inline(__always)
    static func signMask<V: SIMD>(_ x: V) -> V.MaskStorage where V.Scalar == Float {
        unsafeBitCast(x, to: V.MaskStorage.self) &>> 31
    }

    /// All ones where a < b (for finite a - b), zero elsewhere.
    @inlinable @inline(__always)
    static func lessMask<V: SIMD>(_ a: V, _ b: V) -> V.MaskStorage where V.Scalar == Float { signMask(a - b) }

    /// a where the mask is set, b elsewhere.
    @inlinable @inline(__always)
    static func select<V: SIMD>(_ mask: V.MaskStorage, _ a: V, _ b: V) -> V where V.Scalar == Float {
        let ai = unsafeBitCast(a, to: V.MaskStorage.self), bi = unsafeBitCast(b, to: V.MaskStorage.self)
        return unsafeBitCast((ai & mask) | (bi & ~mask), to: V.self)
    }

    /// |x| by clearing the sign bit.
    @inlinable @inline(__always)
    static func magnitude<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        unsafeBitCast(unsafeBitCast(x, to: V.MaskStorage.self) & V.MaskStorage(repeating: 0x7fff_ffff), to: V.self)
    }

    /// All ones in NaN lanes: |x| as an integer exceeds the bits of +inf.
    @inlinable @inline(__always)
    static func nanMask<V: SIMD>(_ x: V) -> V.MaskStorage where V.Scalar == Float {
        (V.MaskStorage(repeating: 0x7f80_0000) &- unsafeBitCast(magnitude(x), to: V.MaskStorage.self)) &>> 31
    }

    /// p * x + c as one fused multiply-add per lane (one rounding; see `FusedMultiplyAdd`).
    @inlinable @inline(__always)
    static func fma<V: SIMD>(_ p: V, _ x: V, _ c: V) -> V where V.Scalar == Float { FusedMultiplyAdd.lanes(p, x, c) }

    /// e^x in every lane: x = n ln 2 + r, e^r by its Taylor polynomial of degree 7, 2^n set in
    /// the exponent bits (in two factors, so denormal results come out right); x is clamped to
    /// [-104, 89], which gives 0 and +inf beyond the float range; NaN is kept.
    @inlinable @inline(__always)
    public static func exp<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        typealias I = V.MaskStorage
        let low = V(repeating: -104), high = V(repeating: 89)
        var clamped = select(lessMask(x, low), low, x)
        clamped = select(lessMask(high, clamped), high, clamped)
        let shifter = V(repeating: roundingShifter)
        let shifted = fma(clamped, V(repeating: log2e), shifter)
        let nBits = unsafeBitCast(shifted, to: I.self) &- unsafeBitCast(shifter, to: I.self)
        let n = shifted - shifter
        var r = fma(n, V(repeating: -ln2Hi), clamped)
        r = fma(n, V(repeating: -ln2Lo), r)
        var p = V(repeating: 1.0 / 5040)
        p = fma(p, r, V(repeating: 1.0 / 720))
        p = fma(p, r, V(repeating: 1.0 / 120))
        p = fma(p, r, V(repeating: 1.0 / 24))
        p = fma(p, r, V(repeating: 1.0 / 6))
        p = fma(p, r, V(repeating: 0.5))
        p = fma(p, r, V(repeating: 1))
        p = fma(p, r, V(repeating: 1))
        let half = nBits &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scale2 = unsafeBitCast((nBits &- half &+ 127) &<< 23, to: V.self)
        return select(nanMask(x), x, p * scale1 * scale2)
    }

    // log: x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1),
    // |s| <= 0.1716, by its odd series through s^11 (truncation < 3e-10 relative).
    /// ln x in every lane: the exponent split off, a polynomial in the mantissa; -inf at 0,
    /// NaN below 0, +inf kept.
    @inlinable @inline(__always)
    public static func log<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        typealias I = V.MaskStorage
        let xBits = unsafeBitCast(x, to: I.self)
        let tiny = lessMask(x, V(repeating: Float.leastNormalMagnitude))
        let scaled = select(tiny, x * 16_777_216, x)  // 2^24 lifts denormals
        let bits = unsafeBitCast(scaled, to: I.self)
        // The biased exponent, turned into a float by the same shifter trick as in exp.
        let biased = (bits &>> 23) & I(repeating: 0xff)
        let shifter = V(repeating: roundingShifter)
        var ef = unsafeBitCast(biased &+ unsafeBitCast(shifter, to: I.self), to: V.self) - (shifter + 127)
        ef = select(tiny, ef - 24, ef)
        var m = unsafeBitCast((bits & I(repeating: 0x7f_ffff)) | I(repeating: 0x3f80_0000), to: V.self)
        let big = lessMask(V(repeating: 1.414_213_56), m)
        m = select(big, m * 0.5, m)
        ef = select(big, ef + 1, ef)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var p = V(repeating: 2.0 / 11)
        p = fma(p, s2, V(repeating: 2.0 / 9))
        p = fma(p, s2, V(repeating: 2.0 / 7))
        p = fma(p, s2, V(repeating: 2.0 / 5))
        p = fma(p, s2, V(repeating: 2.0 / 3))
        let logM = fma(s * s2, p, s * 2)
        var result = fma(ef, V(repeating: ln2Hi), fma(ef, V(repeating: ln2Lo), logM))
        // Specials: log(±0) = -inf, log(+inf) = +inf, log(x < 0) = log(NaN) = NaN.
        let magnitudeBits = unsafeBitCast(magnitude(x), to: I.self)
        let zero = (magnitudeBits &- 1) &>> 31
        let plusInfinity = ((xBits ^ I(repeating: 0x7f80_0000)) &- 1) &>> 31
        let invalid = (signMask(x) & ~zero) | nanMask(x)
        result = select(zero, V(repeating: -.infinity), result)
        result = select(plusInfinity, V(repeating: .infinity), result)
        return select(invalid, V(repeating: .nan), result)
    }

    // tanh: for |x| < 0.625, x + x^3 P(x^2) with P a least-squares fit of (tanh x - x)/x^3
    // (error < 3e-9 relative); above, 1 - 2/(exp(2|x|) + 1), which has no cancellation there.
    /// tanh x in every lane: an odd polynomial for |x| < 0.625, 1 - 2/(e^(2|x|) + 1) with the sign
    /// restored above.
    @inlinable @inline(__always)
    public static func tanh<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        typealias I = V.MaskStorage
        let ax = magnitude(x)
        let e = exp(ax * 2)
        let large = 1 - 2 / (e + 1)
        let x2 = x * x
        var p = V(repeating: 2.339_316_626e-03)
        p = fma(p, x2, V(repeating: -8.386_106_555e-03))
        p = fma(p, x2, V(repeating: 2.178_215_449e-02))
        p = fma(p, x2, V(repeating: -5.396_093_581e-02))
        p = fma(p, x2, V(repeating: 1.333_331_087e-01))
        p = fma(p, x2, V(repeating: -3.333_333_322e-01))
        let small = fma(x * x2, p, x)
        // Give the large branch x's sign by or-ing in the sign bit.
        let signBit = unsafeBitCast(x, to: I.self) & (I(repeating: 1) &<< 31)
        let signedLarge = unsafeBitCast(unsafeBitCast(large, to: I.self) | signBit, to: V.self)
        return select(lessMask(ax, V(repeating: 0.625)), small, signedLarge)
    }

    // sigmoid: 1/(1 + e^-|x|), and for x < 0 the same times e^x (= e^-|x|), so that neither
    // branch overflows and tiny results keep their relative accuracy.
    /// 1 / (1 + e^-x) in every lane.
    @inlinable @inline(__always)
    public static func sigmoid<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        let e = exp(-magnitude(x))
        let s = 1 / (1 + e)
        return select(signMask(x), e * s, s)
    }

    // The scalar forms run four lanes, the narrowest vector (one SSE or NEON register): every lane
    // gives the same bits, whatever the width.
    /// Scalar `exp` through the vector kernel (for code that needs one value at a time).
    @inlinable public static func exp(_ x: Float) -> Float { exp(SIMD4<Float>(repeating: x))[0] }
    /// Scalar `log` through the vector kernel.
    @inlinable public static func log(_ x: Float) -> Float { log(SIMD4<Float>(repeating: x))[0] }
    /// Scalar `tanh` through the vector kernel.
    @inlinable public static func tanh(_ x: Float) -> Float { tanh(SIMD4<Float>(repeating: x))[0] }
    /// Scalar `sigmoid` through the vector kernel.
    @inlinable public static func sigmoid(_ x: Float) -> Float { sigmoid(SIMD4<Float>(repeating: x))[0] }

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
