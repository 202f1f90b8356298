// The GEMM's AVX-512 micro-kernel: an 8 x 32 tile of C in 16 ZMM registers (8 x 16 in 8 for a last,
// narrow sliver),
//
//     for p in 0..<kc:  C[i][0..<32] += A[i][p] * B[p][0..<32]   (i = 0..<8; 16 FMAs per p)
//
// with edges handled by AVX-512 lane masks, so any m, n, k and stride works. The packing,
// blocking and threads are GemmDriver.h's.
//
// Why not OpenBLAS: Debian's build runs its Haswell (AVX2) kernels on this machine kind; with
// 512-bit FMAs the recurrent step's small GEMM (M = batch) and the big gradient GEMMs run up to
// twice as fast, and a packed W_hh can be reused across every step of a sequence.
#if defined(__x86_64__)
#include "Support.h"

#include <immintrin.h>

#define GEMM_TARGET AVX512
#define GEMM_FN(name) name##_avx512
#define MR 8
#define NR 32
#define KC 256
#define EVEN_TILES 0
#define MC 128

// NR floats of a row of B into a packed sliver row, zeros past `width`.
AVX512 static inline void copy_b_row(float *dst, const float *src, long width) {
    _mm512_store_ps(dst, _mm512_maskz_loadu_ps(lane_mask(width), src));
    _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(lane_mask(width - 16), src + 16));
}

// C[0..<mr][0..<nr] = alpha * (A sliver x B sliver) + beta * C (+ bias[j] on every row when
// bias is given); beta = 0 never reads C.
// A[ii][p] is at a[ii * rs + p * cs]: a packed sliver (rs = 1, cs = MR) or, for an A stored
// row-major without transposition, the matrix itself (rs = lda, cs = 1): its 8 rows stream
// through L1 as well as a packed copy would, and the copy is saved. Rows past mr read row 0.
// B[p][0..<32] is at bp + p * b_step: a packed sliver (b_step = NR) or B's columns in place
// (b_step = ldb).
// `halves` (1 or 2, a constant in each inlined copy) is how many 16-column halves of the tile are
// computed: a last sliver of at most 16 columns (a character vocabulary of 65 leaves one of 1)
// costs half a full one. The output layer's product over 65 characters, `seqtool bench gemm --m
// 2048 --n 65 --k 256 --transpose-b`: 73 -> 86 GFLOP/s on 1 thread, 140 -> 171 on 2 (Zen 4).
AVX512 static inline __attribute__((always_inline)) void tile_kernel(
    long kc, const float *a, long rs, long cs, const float *restrict bp, long b_step, const float *next_b,
    float *c, long ldc, float alpha, float beta, const float *bias, long mr, long nr, int halves) {
    const float *a0 = a, *a1 = a + (mr > 1) * rs, *a2 = a + (mr > 2) * 2 * rs, *a3 = a + (mr > 3) * 3 * rs;
    const float *a4 = a + (mr > 4) * 4 * rs, *a5 = a + (mr > 5) * 5 * rs, *a6 = a + (mr > 6) * 6 * rs;
    const float *a7 = a + (mr > 7) * 7 * rs;
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
    __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
    __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
    __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps();
    __m512 c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    // When C is read (beta != 0) it may be far from this core: start fetching the tile now so
    // that the epilogue does not wait for it.
    if (beta != 0)
        for (long i = 0; i < mr; i++) {
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
            if (halves == 2) _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
        }
    // `next_b`, when given, is the B sliver the next call reads: its two lines per k are fetched
    // into L2 behind the FMAs. A packed W_hh of 1 MB (H = 256, 4 gates) does not stay in a 1 MB
    // L2 (Zen 4) beside everything else, and without this a step's product waits on L3: 16 rows
    // times it went from ~75 to ~114 GFLOP/s per core, the FMA peak. (Into L1 it is no better: a
    // 32 KB sliver and the next do not fit in Zen 4's 32 KB L1.) Without a next sliver it fetches
    // the lines being loaded.
    const char *fetch = (const char *)(next_b ? next_b : bp);
    // Row i of the tile at this k: A[i][p] broadcast, times each half of B's row.
#define FMA_ROW(ci0, ci1, ai)              \
    x = _mm512_set1_ps(ai[q]);             \
    ci0 = _mm512_fmadd_ps(x, b0, ci0);     \
    if (halves == 2) ci1 = _mm512_fmadd_ps(x, b1, ci1);
    for (long p = 0, q = 0; p < kc; p++, q += cs, fetch += b_step * sizeof(float)) {
        _mm_prefetch(fetch, _MM_HINT_T1);
        _mm_prefetch(fetch + 64, _MM_HINT_T1);
        __m512 b0 = _mm512_loadu_ps(bp), b1 = halves == 2 ? _mm512_loadu_ps(bp + 16) : b0;
        __m512 x;
        FMA_ROW(c00, c01, a0) FMA_ROW(c10, c11, a1) FMA_ROW(c20, c21, a2) FMA_ROW(c30, c31, a3)
        FMA_ROW(c40, c41, a4) FMA_ROW(c50, c51, a5) FMA_ROW(c60, c61, a6) FMA_ROW(c70, c71, a7)
        bp += b_step;
    }
#undef FMA_ROW
    __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                         {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (bias) { bias0 = _mm512_maskz_loadu_ps(m0, bias); bias1 = _mm512_maskz_loadu_ps(m1, bias + 16); }
    for (long i = 0; i < mr; i++) {
        float *row = c + i * ldc;
        __m512 r0 = _mm512_fmadd_ps(va, acc[i][0], bias0), r1 = _mm512_fmadd_ps(va, acc[i][1], bias1);
        if (beta != 0) {
            r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), r0);
            if (halves == 2) r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
        }
        _mm512_mask_storeu_ps(row, m0, r0);
        if (halves == 2) _mm512_mask_storeu_ps(row + 16, m1, r1);
    }
}

// Inlined into both of `compute`'s calls, where rs and cs are known (clang does so at -O3 on its
// own; a package's C is built at -O2).
AVX512 static inline __attribute__((always_inline)) void micro_kernel(
    long kc, const float *a, long rs, long cs, const float *restrict bp, long b_step, const float *next_b,
    float *c, long ldc, float alpha, float beta, const float *bias, long mr, long nr) {
    if (nr > 16) tile_kernel(kc, a, rs, cs, bp, b_step, next_b, c, ldc, alpha, beta, bias, mr, nr, 2);
    else tile_kernel(kc, a, rs, cs, bp, b_step, next_b, c, ldc, alpha, beta, bias, mr, nr, 1);
}

#include "GemmDriver.h"

#endif
