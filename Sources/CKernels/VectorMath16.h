// 16-lane (AVX-512) exp, tanh and sigmoid shared by the gate kernels: the same algorithms and
// operation order as VectorMath in Swift, so that with -ffp-contract=off the results are
// bit-identical to the Swift kernels (the twins tests check it).
//
// exp: x = n ln2 + r, |r| <= ln2/2 (ln2 split in two), degree-7 Taylor polynomial, 2^n applied
// as two power-of-two factors; tanh: |x| < 0.625 odd polynomial, else 1 - 2/(e^2|x| + 1) with
// x's sign; sigmoid: 1/(1 + e^-|x|), times e^-|x| for x < 0.
#ifndef SEQTOOL_CKERNELS_VECTOR_MATH16_H
#define SEQTOOL_CKERNELS_VECTOR_MATH16_H

#include "Support.h"

#if defined(__x86_64__)
#include <immintrin.h>

AVX512 static inline __m512 v(float x) { return _mm512_set1_ps(x); }

AVX512 static inline __m512 exp16(__m512 x) {
    __m512 clamped = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, v(-104), _CMP_LT_OQ), x, v(-104));
    clamped = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v(89), clamped, _CMP_LT_OQ), clamped, v(89));
    __m512 shifter = v(12582912.0f);
    __m512 shifted = _mm512_fmadd_ps(clamped, v(1.44269504f), shifter);
    __m512i n_bits = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(shifter));
    __m512 n = _mm512_sub_ps(shifted, shifter);
    __m512 r = _mm512_fmadd_ps(n, v(-0.693145751953125f), clamped);
    r = _mm512_fmadd_ps(n, v(-1.4286067653301870e-6f), r);
    __m512 p = v(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, v(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, v(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, v(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, v(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, v(0.5f));
    p = _mm512_fmadd_ps(p, r, v(1));
    p = _mm512_fmadd_ps(p, r, v(1));
    __m512i half = _mm512_srai_epi32(n_bits, 1);
    __m512i bias = _mm512_set1_epi32(127);
    __m512 scale1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(half, bias), 23));
    __m512 scale2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(n_bits, half), bias), 23));
    __m512 result = _mm512_mul_ps(_mm512_mul_ps(p, scale1), scale2);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), result, x);
}

AVX512 static inline __m512 abs16(__m512 x) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

AVX512 static inline __mmask16 sign16(__m512 x) {
    return _mm512_cmplt_epi32_mask(_mm512_castps_si512(x), _mm512_setzero_si512());
}

AVX512 static inline __m512 tanh16(__m512 x) {
    __m512 ax = abs16(x);
    __m512 e = exp16(_mm512_mul_ps(ax, v(2)));
    __m512 large = _mm512_sub_ps(v(1), _mm512_div_ps(v(2), _mm512_add_ps(e, v(1))));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = v(2.339316626e-03f);
    p = _mm512_fmadd_ps(p, x2, v(-8.386106555e-03f));
    p = _mm512_fmadd_ps(p, x2, v(2.178215449e-02f));
    p = _mm512_fmadd_ps(p, x2, v(-5.396093581e-02f));
    p = _mm512_fmadd_ps(p, x2, v(1.333331087e-01f));
    p = _mm512_fmadd_ps(p, x2, v(-3.333333322e-01f));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, x2), p, x);
    __m512i sign_bit = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    __m512 signed_large = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(large), sign_bit));
    // ax < 0.625 as the sign of ax - 0.625, as the Swift kernel decides it.
    return _mm512_mask_blend_ps(sign16(_mm512_sub_ps(ax, v(0.625f))), signed_large, small);
}

AVX512 static inline __m512 sigmoid16(__m512 x) {
    // -|x| by setting the sign bit, as Swift's negation does (0 - |x| would give +0 for 0).
    __m512 minus_abs =
        _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
    __m512 e = exp16(minus_abs);
    __m512 s = _mm512_div_ps(v(1), _mm512_add_ps(v(1), e));
    return _mm512_mask_blend_ps(sign16(x), s, _mm512_mul_ps(e, s));
}

// Lanes j..j+15 of a row, under the lane mask m of the kernel's loop.
#define LOAD(p) _mm512_maskz_loadu_ps(m, (p) + j)
#define STORE(p, x) _mm512_mask_storeu_ps((p) + j, m, (x))

#endif
#endif
