/// a b + c rounded once, in every lane: the fused multiply-add `VectorMath`'s polynomials are
/// built on, with the same bits on every machine.
///
/// On x86-64 the package is compiled for the baseline instruction set (SSE2: it sets no compiler
/// flags, so that it can be a versioned dependency), which has no FMA instruction, and
/// `addingProduct` becomes a call to the C library's `fmaf` for every lane: a few nanoseconds
/// where the CPU has FMA, ~40 ns where it has not (glibc then emulates it in software). Instead
/// the lanes go through double precision: the product of two floats is exact there (24 + 24 bits
/// fit in 53), and the sum rounded to double and then to float gives the correctly rounded
/// result unless the double sum lands exactly halfway between two floats, or among the float
/// denormals, where its first rounding can decide the second. Those lanes (rare) are redone with
/// the sum rounded to odd, which makes the second rounding correct (Boldo and Melquiond, "When
/// double rounding is odd", 2005). Elsewhere (arm64) `addingProduct` is one instruction.
@usableFromInline
enum FusedMultiplyAdd {
    /// a b + c in every lane, rounded once.
    @inlinable @inline(__always)
    static func lanes<V: SIMD>(_ a: V, _ b: V, _ c: V) -> V where V.Scalar == Float {
        #if arch(x86_64)
            if V.self == SIMD4<Float>.self {
                return unsafeBitCast(
                    four(
                        unsafeBitCast(a, to: SIMD4<Float>.self), unsafeBitCast(b, to: SIMD4<Float>.self),
                        unsafeBitCast(c, to: SIMD4<Float>.self)), to: V.self)
            }
            if V.self == SIMD8<Float>.self {
                return unsafeBitCast(
                    eight(
                        unsafeBitCast(a, to: SIMD8<Float>.self), unsafeBitCast(b, to: SIMD8<Float>.self),
                        unsafeBitCast(c, to: SIMD8<Float>.self)), to: V.self)
            }
            if V.self == SIMD16<Float>.self {
                let (a, b, c) = (
                    unsafeBitCast(a, to: SIMD16<Float>.self), unsafeBitCast(b, to: SIMD16<Float>.self),
                    unsafeBitCast(c, to: SIMD16<Float>.self)
                )
                let low = eight(a.lowHalf, b.lowHalf, c.lowHalf), high = eight(a.highHalf, b.highHalf, c.highHalf)
                return unsafeBitCast(SIMD16(lowHalf: low, highHalf: high), to: V.self)
            }
        #endif
        return c.addingProduct(a, b)
    }

    @inlinable @inline(__always)
    static func eight(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(lowHalf: four(a.lowHalf, b.lowHalf, c.lowHalf), highHalf: four(a.highHalf, b.highHalf, c.highHalf))
    }

    /// Four lanes in two SSE2 registers of doubles.
    @inlinable @inline(__always)
    static func four(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>) -> SIMD4<Float> {
        let sum = SIMD4<Double>(a) * SIMD4<Double>(b) + SIMD4<Double>(c)
        let bits = unsafeBitCast(sum, to: SIMD4<UInt64>.self)
        // Top bit set where the 29 bits below a float's mantissa are exactly one half, and where
        // 0 < |sum| < 2^-126: m = |sum| - 1 has its top bit clear (sum is not zero) and
        // m - (2^-126 - 1) as bits wraps below zero.
        let halfway = ((bits & 0x1fff_ffff) ^ 0x1000_0000) &- 1
        let m = (bits & 0x7fff_ffff_ffff_ffff) &- 1
        let denormal = ~m & (m &- ((897 << 52) - 1))
        let doubtful = halfway | denormal
        let either = doubtful.lowHalf | doubtful.highHalf
        if (either[0] | either[1]) &>> 63 != 0 { return roundedToOdd(a, b, c) }
        return SIMD4<Float>(sum)
    }

    /// a b + c with the double sum rounded to odd: where it is inexact (the exact error, from
    /// Knuth's TwoSum, is not zero) and its last bit is even, it moves one ulp towards the exact
    /// value, so that rounding it to float rounds the exact value.
    @usableFromInline @inline(never)
    static func roundedToOdd(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>) -> SIMD4<Float> {
        let product = SIMD4<Double>(a) * SIMD4<Double>(b), addend = SIMD4<Double>(c)
        let sum = product + addend
        let addendPart = sum - product
        let error = (product - (sum - addendPart)) + (addend - addendPart)
        let sumBits = unsafeBitCast(sum, to: SIMD4<UInt64>.self)
        let errorBits = unsafeBitCast(error, to: SIMD4<UInt64>.self)
        let inexact = (0 &- (errorBits & 0x7fff_ffff_ffff_ffff)) &>> 63
        // ±inf and NaN sums (from infinite or NaN operands) stay as they are.
        let finite = ((sumBits & 0x7fff_ffff_ffff_ffff) &- 0x7ff0_0000_0000_0000) &>> 63
        let step = inexact & finite & ~sumBits & 1
        // One ulp away from zero when the error has the sum's sign, towards it otherwise.
        let towardsZero = (sumBits ^ errorBits) &>> 63
        let odd = sumBits &+ step &- ((step & towardsZero) &<< 1)
        return SIMD4<Float>(unsafeBitCast(odd, to: SIMD4<Double>.self))
    }
}
