// The vector operations the generic kernels (VectorMath.h, GateKernels.h, Updates.h) are written
// in, on 16 lanes of AVX-512. Lanes8.h defines the same names on 8 lanes of AVX2; a kernel file
// includes one of the two, then the generic headers, and gets that instruction set's kernels,
// named by KERNEL(name).
//
// Each operation is one IEEE operation per lane (vfma: one rounding), so a kernel gives the same
// bits on either width, and the same as Swift's SIMD code that performs the same operations in
// the same order.
#ifndef SEQTOOL_CKERNELS_LANES_H
#define SEQTOOL_CKERNELS_LANES_H

#include "Support.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET AVX512
#define LANES 16
#define KERNEL(name) name##_avx512

typedef __m512 vf;
typedef __m512i vi;

TARGET static inline vf vsplat(float x) { return _mm512_set1_ps(x); }
TARGET static inline vf vzero(void) { return _mm512_setzero_ps(); }
TARGET static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
TARGET static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
TARGET static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
TARGET static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
TARGET static inline vf vsqrt(vf a) { return _mm512_sqrt_ps(a); }
/// a b + c, rounded once.
TARGET static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }

/// The first `count` floats at p (count >= LANES: all of them); zeros in the lanes past it.
TARGET static inline vf vload(const float *p, long count) { return _mm512_maskz_loadu_ps(lane_mask(count), p); }
/// Stores the first `count` lanes of x at p.
TARGET static inline void vstore(float *p, long count, vf x) { _mm512_mask_storeu_ps(p, lane_mask(count), x); }

/// x where a < b (ordered: false for NaN), y elsewhere.
TARGET static inline vf vselect_less(vf a, vf b, vf x, vf y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x);
}
/// x where m's sign bit is set, y elsewhere.
TARGET static inline vf vselect_sign(vf m, vf x, vf y) {
    return _mm512_mask_blend_ps(_mm512_cmplt_epi32_mask(_mm512_castps_si512(m), _mm512_setzero_si512()), y, x);
}
/// x where a is NaN, y elsewhere.
TARGET static inline vf vselect_nan(vf a, vf x, vf y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), y, x);
}

// The bits of the lanes as 32-bit integers, for exp's exponent arithmetic and sign handling.
TARGET static inline vi vbits(vf x) { return _mm512_castps_si512(x); }
TARGET static inline vf vfloat(vi x) { return _mm512_castsi512_ps(x); }
TARGET static inline vi vsplat_int(int x) { return _mm512_set1_epi32(x); }
TARGET static inline vi vadd_int(vi a, vi b) { return _mm512_add_epi32(a, b); }
TARGET static inline vi vsub_int(vi a, vi b) { return _mm512_sub_epi32(a, b); }
TARGET static inline vi vand_int(vi a, vi b) { return _mm512_and_si512(a, b); }
TARGET static inline vi vor_int(vi a, vi b) { return _mm512_or_si512(a, b); }
/// Arithmetic shift right by 1.
TARGET static inline vi vhalve_int(vi a) { return _mm512_srai_epi32(a, 1); }
/// Shift left by 23: an exponent into place.
TARGET static inline vi vexponent_int(vi a) { return _mm512_slli_epi32(a, 23); }

#endif
#endif
