// What the kernels share: the function attributes of the instruction sets and small index helpers.
// Functions marked AVX512 or AVX2 are compiled for that instruction set whatever the target's
// baseline: callers check `st_cpu_supports` first (Swift's `InstructionSet` does, once).
#ifndef SEQTOOL_CKERNELS_SUPPORT_H
#define SEQTOOL_CKERNELS_SUPPORT_H

#define AVX512 __attribute__((target("avx512f,avx512vl,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

#if defined(__x86_64__)
#include <immintrin.h>

/// The first `count` of 16 lanes (none for count <= 0, all for count >= 16).
static inline __mmask16 lane_mask(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
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
