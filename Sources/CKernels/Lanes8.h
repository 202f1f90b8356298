// The vector operations of Lanes16.h on 8 lanes of AVX2 and FMA (the same names, the same
// results per lane): a kernel file that includes this gets the AVX2 twins of the generic kernels.
#ifndef SEQTOOL_CKERNELS_LANES_H
#define SEQTOOL_CKERNELS_LANES_H

#include "Support.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET AVX2
#define LANES 8
#define KERNEL(name) name##_avx2

typedef __m256 vf;
typedef __m256i vi;

TARGET static inline vf vsplat(float x) { return _mm256_set1_ps(x); }
TARGET static inline vf vzero(void) { return _mm256_setzero_ps(); }
TARGET static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
TARGET static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
TARGET static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
TARGET static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
TARGET static inline vf vsqrt(vf a) { return _mm256_sqrt_ps(a); }
/// a b + c, rounded once.
TARGET static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }

// Whole vectors load and store plainly; a tail goes through a lane mask (a masked store is
// slow on AMD's cores, so only the last vector of a row pays for it).
/// The first `count` floats at p (count >= LANES: all of them); zeros in the lanes past it.
TARGET static inline vf vload(const float *p, long count) {
    return count >= LANES ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes8(count));
}
/// Stores the first `count` lanes of x at p.
TARGET static inline void vstore(float *p, long count, vf x) {
    if (count >= LANES) _mm256_storeu_ps(p, x);
    else _mm256_maskstore_ps(p, lanes8(count), x);
}

/// x where a < b (ordered: false for NaN), y elsewhere.
TARGET static inline vf vselect_less(vf a, vf b, vf x, vf y) {
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
}
/// x where m's sign bit is set, y elsewhere.
TARGET static inline vf vselect_sign(vf m, vf x, vf y) { return _mm256_blendv_ps(y, x, m); }
/// x where a is NaN, y elsewhere.
TARGET static inline vf vselect_nan(vf a, vf x, vf y) {
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

// The bits of the lanes as 32-bit integers, for exp's exponent arithmetic and sign handling.
TARGET static inline vi vbits(vf x) { return _mm256_castps_si256(x); }
TARGET static inline vf vfloat(vi x) { return _mm256_castsi256_ps(x); }
TARGET static inline vi vsplat_int(int x) { return _mm256_set1_epi32(x); }
TARGET static inline vi vadd_int(vi a, vi b) { return _mm256_add_epi32(a, b); }
TARGET static inline vi vsub_int(vi a, vi b) { return _mm256_sub_epi32(a, b); }
TARGET static inline vi vand_int(vi a, vi b) { return _mm256_and_si256(a, b); }
TARGET static inline vi vor_int(vi a, vi b) { return _mm256_or_si256(a, b); }
/// Arithmetic shift right by 1.
TARGET static inline vi vhalve_int(vi a) { return _mm256_srai_epi32(a, 1); }
/// Shift left by 23: an exponent into place.
TARGET static inline vi vexponent_int(vi a) { return _mm256_slli_epi32(a, 23); }

#endif
#endif
