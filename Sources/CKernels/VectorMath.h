// exp, tanh and sigmoid over the lanes of Lanes16.h or Lanes8.h (include one first): the same
// algorithms and operation order as VectorMath in Swift (SeqTensor/Compute/VectorMath.swift), so
// the results are bit-identical to the Swift kernels' (the twins tests check it).
//
// exp: x = n ln2 + r, |r| <= ln2/2 (ln2 split in two), degree-7 Taylor polynomial, 2^n applied
// as two power-of-two factors; tanh: |x| < 0.625 odd polynomial, else 1 - 2/(e^2|x| + 1) with
// x's sign; sigmoid: 1/(1 + e^-|x|), times e^-|x| for x < 0.
#ifndef SEQTOOL_CKERNELS_VECTOR_MATH_H
#define SEQTOOL_CKERNELS_VECTOR_MATH_H

#if defined(__x86_64__)

TARGET static inline vf vexp(vf x) {
    vf clamped = vselect_less(x, vsplat(-104), vsplat(-104), x);
    clamped = vselect_less(vsplat(89), clamped, vsplat(89), clamped);
    vf shifter = vsplat(12582912.0f);
    vf shifted = vfma(clamped, vsplat(1.44269504f), shifter);
    vi n_bits = vsub_int(vbits(shifted), vbits(shifter));
    vf n = vsub(shifted, shifter);
    vf r = vfma(n, vsplat(-0.693145751953125f), clamped);
    r = vfma(n, vsplat(-1.4286067653301870e-6f), r);
    vf p = vsplat(1.0f / 5040);
    p = vfma(p, r, vsplat(1.0f / 720));
    p = vfma(p, r, vsplat(1.0f / 120));
    p = vfma(p, r, vsplat(1.0f / 24));
    p = vfma(p, r, vsplat(1.0f / 6));
    p = vfma(p, r, vsplat(0.5f));
    p = vfma(p, r, vsplat(1));
    p = vfma(p, r, vsplat(1));
    vi half = vhalve_int(n_bits);
    vi bias = vsplat_int(127);
    vf scale1 = vfloat(vexponent_int(vadd_int(half, bias)));
    vf scale2 = vfloat(vexponent_int(vadd_int(vsub_int(n_bits, half), bias)));
    return vselect_nan(x, x, vmul(vmul(p, scale1), scale2));
}

/// |x|, by clearing the sign bit.
TARGET static inline vf vabs(vf x) { return vfloat(vand_int(vbits(x), vsplat_int(0x7fffffff))); }

/// x with the sign bit of `sign` or-ed in.
TARGET static inline vf vor_sign(vf x, vf sign) {
    return vfloat(vor_int(vbits(x), vand_int(vbits(sign), vsplat_int((int)0x80000000u))));
}

TARGET static inline vf vtanh(vf x) {
    vf ax = vabs(x);
    vf e = vexp(vmul(ax, vsplat(2)));
    vf large = vsub(vsplat(1), vdiv(vsplat(2), vadd(e, vsplat(1))));
    vf x2 = vmul(x, x);
    vf p = vsplat(2.339316626e-03f);
    p = vfma(p, x2, vsplat(-8.386106555e-03f));
    p = vfma(p, x2, vsplat(2.178215449e-02f));
    p = vfma(p, x2, vsplat(-5.396093581e-02f));
    p = vfma(p, x2, vsplat(1.333331087e-01f));
    p = vfma(p, x2, vsplat(-3.333333322e-01f));
    vf small = vfma(vmul(x, x2), p, x);
    // ax < 0.625 as the sign of ax - 0.625, as the Swift kernel decides it.
    return vselect_sign(vsub(ax, vsplat(0.625f)), small, vor_sign(large, x));
}

TARGET static inline vf vsigmoid(vf x) {
    // -|x| by setting the sign bit, as Swift's negation does (0 - |x| would give +0 for 0).
    vf e = vexp(vor_sign(x, vsplat(-0.0f)));
    vf s = vdiv(vsplat(1), vadd(vsplat(1), e));
    return vselect_sign(x, vmul(e, s), s);
}

#endif
#endif
