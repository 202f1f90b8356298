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
