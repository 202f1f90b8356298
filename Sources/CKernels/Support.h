// What the kernels share: the floating-point mode, the function attributes of the instruction
// sets and small index helpers. Every kernel file includes this first.
//
// Functions marked AVX512 or AVX2 are compiled for that instruction set whatever the target's
// baseline (the package sets no compiler flags, so that it can be a versioned dependency):
// callers check `st_cpu_supports` first (Swift's `InstructionSet` does, once).
#ifndef SEQTOOL_CKERNELS_SUPPORT_H
#define SEQTOOL_CKERNELS_SUPPORT_H

// No contraction of a * b + c into one fused multiply-add unless the code asks for one (clang
// contracts within an expression by default): the kernels must round exactly as their Swift
// twins do. A file-scope pragma holds to the end of the file that includes this.
#pragma clang fp contract(off)

#define AVX512 __attribute__((target("avx512f,avx512vl,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

#if defined(__x86_64__)
#include <immintrin.h>

/// The first `count` of 16 lanes (none for count <= 0, all for count >= 16).
static inline __mmask16 lane_mask(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/// dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block, in registers (the GEMM packs with it;
/// AVX-512 functions inline it too, their instruction set holding AVX2).
AVX2 static inline void transpose8x8(const float *src, long lds, float *dst, long ldd) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/// The first `count` of 8 lanes as an AVX2 integer mask (all bits set in a lane that is in).
AVX2 static inline __m256i lanes8(long count) {
    long n = count < 0 ? 0 : count > 8 ? 8 : count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }

/// Part `index` of `count` of `total` units of `unit` elements each: [*lo, *hi) in elements
/// (part sizes differ by at most one unit).
static inline void range_of(long total, long unit, int index, int count, long *lo, long *hi) {
    long per = total / count, extra = total % count;
    long start = index * per + (index < extra ? index : extra);
    *lo = start * unit;
    *hi = (start + per + (index < extra ? 1 : 0)) * unit;
}

/// Threads worth using for an (m, n, k) product split into `tiles` parts: below about a million
/// multiply-adds a second thread costs more than it saves.
static inline int gemm_threads(long m, long n, long k, int threads, long tiles) {
    double work = (double)m * (double)n * (double)k;
    int useful = work < 1.0e6 ? 1 : threads;
    if (useful > tiles) useful = (int)tiles;
    return useful < 1 ? 1 : useful;
}

#endif
