// Matrix-vector product for one sequence stepping (sampling: batch 1), for AVX2 and AVX-512. A
// GEMV reads each weight once and does one FMA with it, so it runs at the speed the matrix streams from cache; the
// columns are split over the pool's threads so both cores' caches and load ports share it.
//
//   op(B) stored transposed, (n, k) rows:  c[j] = alpha dot(B[j][0..<k], a) + beta c[j]
//   op(B) stored as is, (k, n) rows:       c[0..<n] = alpha sum_p a[p] B[p][0..<n] + beta c
#include "CKernels.h"
#include "Support.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>

typedef struct {
    int isa, trans_b;
    long n, k, ldb;
    float alpha, beta;
    const float *a, *b;
    float *c;
} Gemv;

AVX512 static float dot_avx512(const float *x, const float *y, long k) {
    __mmask16 tail = lane_mask(k % 16);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    long p = 0;
    for (; p + 32 <= k; p += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 16), _mm512_loadu_ps(y + p + 16), s1);
    }
    for (; p + 16 <= k; p += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
    if (p < k) s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x + p), _mm512_maskz_loadu_ps(tail, y + p), s1);
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

// 128 columns at a time: eight accumulators, enough independent FMAs to fill both pipes, and
// each row of B read as two cache lines' worth of contiguous floats per load pair.
AVX512 static void columns_axpy_avx512(const Gemv *g, long j0, long j1) {
    const float *a = g->a;
    enum { W = 8 };
    for (long j = j0; j < j1; j += 16 * W) {
        long width = j1 - j < 16 * W ? j1 - j : 16 * W;
        __mmask16 m[W];
        __m512 s[W];
        for (int q = 0; q < W; q++) {
            m[q] = lane_mask(width - 16 * q);
            s[q] = _mm512_setzero_ps();
        }
        if (width == 16 * W) {
            // Whole blocks without masks: eight masks would not all fit in mask registers.
            for (long p = 0; p < g->k; p++) {
                __m512 x = _mm512_set1_ps(a[p]);
                const float *row = g->b + p * g->ldb + j;
                for (int q = 0; q < W; q++) s[q] = _mm512_fmadd_ps(x, _mm512_loadu_ps(row + 16 * q), s[q]);
            }
        } else {
            for (long p = 0; p < g->k; p++) {
                __m512 x = _mm512_set1_ps(a[p]);
                const float *row = g->b + p * g->ldb + j;
                for (int q = 0; q < W; q++) s[q] = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m[q], row + 16 * q), s[q]);
            }
        }
        __m512 va = _mm512_set1_ps(g->alpha), vb = _mm512_set1_ps(g->beta);
        for (int q = 0; q < W; q++) {
            __m512 r = _mm512_mul_ps(va, s[q]);
            if (g->beta != 0) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m[q], g->c + j + 16 * q), r);
            _mm512_mask_storeu_ps(g->c + j + 16 * q, m[q], r);
        }
    }
}

// The AVX2 versions of the two loops: 8 lanes, tails through integer lane masks.
AVX2 static float dot_avx2(const float *x, const float *y, long k) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    long p = 0;
    for (; p + 32 <= k; p += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(y + p), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 8), _mm256_loadu_ps(y + p + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 16), _mm256_loadu_ps(y + p + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 24), _mm256_loadu_ps(y + p + 24), s3);
    }
    for (; p + 8 <= k; p += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(y + p), s0);
    if (p < k) {
        __m256i tail = lanes8(k - p);
        s1 = _mm256_fmadd_ps(_mm256_maskload_ps(x + p, tail), _mm256_maskload_ps(y + p, tail), s1);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// c[j] = alpha dot(B[j][0..<k], a) + beta c[j] for rows j0..<j1, with the instruction set's dot.
static void rows_dot(const Gemv *g, long j0, long j1) {
    for (long j = j0; j < j1; j++) {
        const float *row = g->b + j * g->ldb;
        float dot = g->isa == ST_CPU_AVX512 ? dot_avx512(row, g->a, g->k) : dot_avx2(row, g->a, g->k);
        float v = g->alpha * dot;
        g->c[j] = g->beta == 0 ? v : v + g->beta * g->c[j];
    }
}

// 64 columns at a time: eight accumulators of 8 lanes, as in the AVX-512 loop.
AVX2 static void columns_axpy_avx2(const Gemv *g, long j0, long j1) {
    const float *a = g->a;
    enum { W = 8 };
    for (long j = j0; j < j1; j += 8 * W) {
        long width = j1 - j < 8 * W ? j1 - j : 8 * W;
        __m256 s[W];
        for (int q = 0; q < W; q++) s[q] = _mm256_setzero_ps();
        if (width == 8 * W) {
            for (long p = 0; p < g->k; p++) {
                __m256 x = _mm256_broadcast_ss(a + p);
                const float *row = g->b + p * g->ldb + j;
                for (int q = 0; q < W; q++) s[q] = _mm256_fmadd_ps(x, _mm256_loadu_ps(row + 8 * q), s[q]);
            }
        } else {
            __m256i m[W];
            for (int q = 0; q < W; q++) m[q] = lanes8(width - 8 * q);
            for (long p = 0; p < g->k; p++) {
                __m256 x = _mm256_broadcast_ss(a + p);
                const float *row = g->b + p * g->ldb + j;
                for (int q = 0; q < W; q++) s[q] = _mm256_fmadd_ps(x, _mm256_maskload_ps(row + 8 * q, m[q]), s[q]);
            }
        }
        __m256 va = _mm256_set1_ps(g->alpha), vb = _mm256_set1_ps(g->beta);
        for (int q = 0; q < W; q++) {
            __m256i m = lanes8(width - 8 * q);
            __m256 r = _mm256_mul_ps(va, s[q]);
            if (g->beta != 0) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(g->c + j + 8 * q, m), r);
            _mm256_maskstore_ps(g->c + j + 8 * q, m, r);
        }
    }
}

static void gemv_task(void *context, int index, int count) {
    const Gemv *g = context;
    // Columns in blocks of 64 so that threads never share a cache line of c.
    long j0, j1;
    range_of(ceil_div(g->n, 64), 64, index, count, &j0, &j1);
    if (j1 > g->n) j1 = g->n;
    if (j0 >= j1) return;
    if (g->trans_b) rows_dot(g, j0, j1);
    else if (g->isa == ST_CPU_AVX512) columns_axpy_avx512(g, j0, j1);
    else columns_axpy_avx2(g, j0, j1);
}

void st_gemv(int isa, int trans_b, long n, long k, float alpha, const float *a, long inc_a,
             const float *b, long ldb, float beta, float *c, int threads) {
    if (n <= 0) return;
    // A strided a (a column of a row-major matrix) is gathered once into a contiguous copy.
    float *gathered = NULL;
    if (inc_a != 1) {
        gathered = malloc((size_t)(k > 0 ? k : 1) * sizeof(float));
        if (!gathered) abort();
        for (long p = 0; p < k; p++) gathered[p] = a[p * inc_a];
        a = gathered;
    }
    Gemv g = {.isa = isa, .trans_b = trans_b, .n = n, .k = k, .ldb = ldb, .alpha = alpha, .beta = beta,
              .a = a, .b = b, .c = c};
    // Below ~64K multiply-adds a thread hand-off costs more than it saves.
    int useful = (double)n * (double)k < 65536.0 ? 1 : threads;
    st_parallel(gemv_task, &g, useful);
    free(gathered);
}

#else

void st_gemv(int isa, int trans_b, long n, long k, float alpha, const float *a, long inc_a,
             const float *b, long ldb, float beta, float *c, int threads) {
    (void)isa; (void)trans_b; (void)n; (void)k; (void)alpha; (void)a; (void)inc_a; (void)b; (void)ldb;
    (void)beta; (void)c; (void)threads; abort();
}

#endif
