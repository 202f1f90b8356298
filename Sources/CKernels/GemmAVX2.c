// The GEMM's AVX2 micro-kernel, for x86-64 machines with AVX2 and FMA but no AVX-512 (Haswell
// and later, AMD Zen 1-4): a 6 x 16 tile of C in 12 YMM registers, with two for the row of B and
// one for the broadcast of A: 15 of the 16.
//
//     for p in 0..<kc:  C[i][0..<16] += A[i][p] * B[p][0..<16]   (i = 0..<6; 12 FMAs per p)
//
// Two FMA pipes of 4-cycle latency need 8 independent accumulators to stay busy; 12 leave room
// for the loads. Tiles of 5 or at most 4 rows run kernels of their own (see `micro_kernel`).
// Edges (nr < 16) load and store C through lane masks. The packing, blocking and threads are
// GemmDriver.h's.
#if defined(__x86_64__)
#include "Support.h"

#include <immintrin.h>

#define GEMM_TARGET AVX2
#define GEMM_FN(name) name##_avx2
#define MR 6
#define NR 16
#define KC 256
#define EVEN_TILES 1
#define MC 120
// The transposed A's rows fetched 8 ahead as it is packed: `SEQTOOL_ISA=avx2 seqtool bench layer
// --threads 1` backward 45.45 -> 44.87 ms on Zen 4, medians of 9 alternating runs (the AVX-512
// path measured no gain and leaves it out).
#define PACK_AHEAD 8

// NR floats of a row of B into a packed sliver row, zeros past `width`.
AVX2 static inline void copy_b_row(float *dst, const float *src, long width) {
    if (width >= NR) {
        _mm256_store_ps(dst, _mm256_loadu_ps(src));
        _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + 8));
        return;
    }
    _mm256_store_ps(dst, _mm256_maskload_ps(src, lanes8(width)));
    _mm256_store_ps(dst + 8, _mm256_maskload_ps(src + 8, lanes8(width - 8)));
}

// C[i][0..<nr] = alpha acc[i] + beta C[i] (+ bias[j] on every row when bias is given) for rows
// i < mr: the micro-kernel's epilogue. beta = 0 never reads C.
AVX2 static inline void store_tile(__m256 acc[][2], float *c, long ldc, float alpha, float beta, const float *bias,
                                   long mr, long nr) {
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
    if (nr == NR) {
        if (bias) { bias0 = _mm256_loadu_ps(bias); bias1 = _mm256_loadu_ps(bias + 8); }
        for (long i = 0; i < mr; i++) {
            float *row = c + i * ldc;
            __m256 r0 = _mm256_fmadd_ps(va, acc[i][0], bias0), r1 = _mm256_fmadd_ps(va, acc[i][1], bias1);
            if (beta != 0) {
                r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
                r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
            }
            _mm256_storeu_ps(row, r0);
            _mm256_storeu_ps(row + 8, r1);
        }
        return;
    }
    __m256i m0 = lanes8(nr), m1 = lanes8(nr - 8);
    if (bias) { bias0 = _mm256_maskload_ps(bias, m0); bias1 = _mm256_maskload_ps(bias + 8, m1); }
    for (long i = 0; i < mr; i++) {
        float *row = c + i * ldc;
        __m256 r0 = _mm256_fmadd_ps(va, acc[i][0], bias0), r1 = _mm256_fmadd_ps(va, acc[i][1], bias1);
        if (beta != 0) {
            r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, m0), r0);
            r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8, m1), r1);
        }
        _mm256_maskstore_ps(row, m0, r0);
        _mm256_maskstore_ps(row + 8, m1, r1);
    }
}

// C[0..<mr][0..<nr] = alpha * (A sliver x B sliver) + beta * C (+ bias), with `rows` (a constant
// where it is inlined: 6, 5 or 4) rows of accumulators kept in registers, two YMM per row.
// A[ii][p] is at a[ii * rs + p * cs]: a packed sliver (rs = 1, cs = MR) or the matrix itself
// (rs = lda, cs = 1). Rows past mr read row 0. B[p][0..<16] is at bp + p * b_step: a packed
// sliver (b_step = NR) or B's columns in place (b_step = ldb). `next_b`, when given, is the B
// sliver the next call will read: one line of it is fetched per k, behind the FMAs, so that it
// comes from L1.
AVX2 static inline __attribute__((always_inline)) void tile_kernel(
    const int rows, long kc, const float *a, long rs, long cs, const float *restrict bp, long b_step,
    const float *next_b, float *c, long ldc, float alpha, float beta, const float *bias, long mr, long nr) {
    const float *ai[MR];
    __m256 acc[MR][2];
    for (int i = 0; i < rows; i++) {
        ai[i] = a + (mr > i) * i * rs;
        acc[i][0] = _mm256_setzero_ps();
        acc[i][1] = _mm256_setzero_ps();
    }
    // When C is read (beta != 0) it may be far from this core: start fetching the tile now so
    // that the epilogue does not wait for it.
    if (beta != 0)
        for (long i = 0; i < mr; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    // Without a next sliver the prefetch reads the line being loaded anyway: no cost but a slot.
    const char *fetch = (const char *)(next_b ? next_b : bp);
    for (long p = 0, q = 0; p < kc; p++, q += cs, fetch += b_step * sizeof(float)) {
        _mm_prefetch(fetch, _MM_HINT_T0);
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        for (int i = 0; i < rows; i++) {
            __m256 x = _mm256_broadcast_ss(ai[i] + q);
            acc[i][0] = _mm256_fmadd_ps(x, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(x, b1, acc[i][1]);
        }
        bp += b_step;
    }
    store_tile(acc, c, ldc, alpha, beta, bias, mr, nr);
}

// A tile's rows set its cost: 6 rows take 6 cycles per k on two FMA pipes, 5 rows 5 and at most 4
// rows 4, so the batch rows of a recurrent step, which the driver shares out evenly (32 as 6 6 5 5
// 5 5, a thread's 16 as 6 5 5), cost about what they hold. (Not quite: on Zen 4, 6 rows run at
// ~97% of the peak, 5 at ~93% and 4 at ~88%, the loads and the loop weighing more against fewer
// FMAs; `seqtool bench gemm --m 32 --n 1024 --k 256 --transpose-b --packed --threads 1` went from
// 104 to 108 GFLOP/s with the even split.)
AVX2 static void micro_kernel(long kc, const float *a, long rs, long cs, const float *restrict bp,
                              long b_step, const float *next_b, float *c, long ldc, float alpha, float beta,
                              const float *bias, long mr, long nr) {
    if (mr <= 4) tile_kernel(4, kc, a, rs, cs, bp, b_step, next_b, c, ldc, alpha, beta, bias, mr, nr);
    else if (mr == 5) tile_kernel(5, kc, a, rs, cs, bp, b_step, next_b, c, ldc, alpha, beta, bias, mr, nr);
    else tile_kernel(MR, kc, a, rs, cs, bp, b_step, next_b, c, ldc, alpha, beta, bias, mr, nr);
}

#include "GemmDriver.h"

#endif
