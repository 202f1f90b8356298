// Single-precision GEMM for AVX-512, in the style of BLIS / GotoBLAS: op(B) is packed into
// k-major slivers NR = 32 columns wide, op(A) into k-major slivers MR = 8 rows tall (a small
// A used as stored is read in place), and a micro-kernel keeps an 8 x 32 tile of C in 16 ZMM registers:
//
//     for p in 0..<kc:  C[i][0..<32] += A[i][p] * B[p][0..<32]   (i = 0..<8; 16 FMAs per p)
//
// Edges are handled with AVX-512 lane masks, so any m, n, k and stride works. Threads split the
// larger of the two tile counts (rows of C in units of MR, or slivers of columns).
//
// Why not OpenBLAS: Debian's build runs its Haswell (AVX2) kernels on this machine kind; with
// 512-bit FMAs the recurrent step's small GEMM (M = batch) and the big gradient GEMMs run up to
// twice as fast, and a packed W_hh can be reused across every step of a sequence.
#include "CKernels.h"
#include "Support.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

enum { MR = 8, NR = 32, KC = 256, MC = 128 };

size_t st_gemm_packed_b_count(long k, long n) { return (size_t)k * (size_t)(ceil_div(n, NR) * NR); }

// dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block, in registers.
AVX512 static inline void transpose8x8(const float *src, long lds, float *dst, long ldd) {
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

// Slivers [s0, s1) of op(B): block of rows pc..pc+kc starts at pc * n_pad; sliver s of the
// block at s * kc * NR; row p of a sliver holds its NR columns, zero past n.
AVX512 static void pack_b_slivers(int trans_b, long k, long n, const float *b, long ldb, float *packed,
                           long s0, long s1) {
    long n_pad = ceil_div(n, NR) * NR;
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        for (long s = s0; s < s1; s++) {
            float *dst = packed + pc * n_pad + s * kc * NR;
            long j0 = s * NR, width = n - j0 < NR ? n - j0 : NR;
            if (!trans_b) {
                // Row p of the sliver is 32 contiguous floats of b (masked past n).
                __mmask16 m0 = lane_mask(width), m1 = lane_mask(width - 16);
                for (long p = 0; p < kc; p++) {
                    const float *src = b + (pc + p) * ldb + j0;
                    _mm512_store_ps(dst + p * NR, _mm512_maskz_loadu_ps(m0, src));
                    _mm512_store_ps(dst + p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
                }
            } else if (width == NR) {
                // Column j of op(B) is row j of b: 8 x 8 blocks transposed in registers.
                long p = 0;
                for (; p + 8 <= kc; p += 8)
                    for (long jj = 0; jj < NR; jj += 8)
                        transpose8x8(b + (j0 + jj) * ldb + pc + p, ldb, dst + p * NR + jj, NR);
                for (; p < kc; p++)
                    for (long jj = 0; jj < NR; jj++) dst[p * NR + jj] = b[(j0 + jj) * ldb + pc + p];
            } else {
                // A last, partial sliver: read each row contiguously, write down the sliver.
                for (long jj = 0; jj < NR; jj++) {
                    if (jj < width) {
                        const float *src = b + (j0 + jj) * ldb + pc;
                        for (long p = 0; p < kc; p++) dst[p * NR + jj] = src[p];
                    } else {
                        for (long p = 0; p < kc; p++) dst[p * NR + jj] = 0;
                    }
                }
            }
        }
    }
}

// Rows [i0, i0 + mc) and columns [pc, pc + kc) of op(A) = a^T (a stored (k, m)) as MR-row
// slivers, zero rows past mc.
static void pack_a_transposed(const float *a, long lda, long i0, long mc, long pc, long kc, float *dst) {
    for (long ir = 0; ir < mc; ir += MR) {
        long rows = mc - ir < MR ? mc - ir : MR;
        float *sliver = dst + ir * kc;
        for (long p = 0; p < kc; p++) {
            const float *src = a + (pc + p) * lda + i0 + ir;
            if (rows == MR) { memcpy(sliver + p * MR, src, MR * sizeof(float)); continue; }
            for (long ii = 0; ii < MR; ii++) sliver[p * MR + ii] = ii < rows ? src[ii] : 0;
        }
    }
}

// The same for op(A) = a as stored (m, k): each 8 x 8 block is transposed in registers.
AVX512 static void pack_a_rows(const float *a, long lda, long i0, long mc, long pc, long kc, float *dst) {
    for (long ir = 0; ir < mc; ir += MR) {
        long rows = mc - ir < MR ? mc - ir : MR;
        float *sliver = dst + ir * kc;
        const float *src = a + (i0 + ir) * lda + pc;
        long p = 0;
        if (rows == MR)
            for (; p + 8 <= kc; p += 8) transpose8x8(src + p, lda, sliver + p * MR, MR);
        for (; p < kc; p++)
            for (long ii = 0; ii < MR; ii++) sliver[p * MR + ii] = ii < rows ? src[ii * lda + p] : 0;
    }
}

// C[0..<mr][0..<nr] = alpha * (A sliver x B sliver) + beta * C (+ bias[j] on every row when
// bias is given); beta = 0 never reads C.
// A[ii][p] is at a[ii * rs + p * cs]: a packed sliver (rs = 1, cs = MR) or, for an A stored
// row-major without transposition, the matrix itself (rs = lda, cs = 1): its 8 rows stream
// through L1 as well as a packed copy would, and the copy is saved. Rows past mr read row 0.
AVX512 static void kernel_8x32(long kc, const float *a, long rs, long cs, const float *restrict bp,
                               float *c, long ldc, float alpha, float beta, const float *bias, long mr, long nr) {
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
            _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
        }
    for (long p = 0, q = 0; p < kc; p++, q += cs) {
        __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        __m512 x;
        x = _mm512_set1_ps(a0[q]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
        x = _mm512_set1_ps(a1[q]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
        x = _mm512_set1_ps(a2[q]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
        x = _mm512_set1_ps(a3[q]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
        x = _mm512_set1_ps(a4[q]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
        x = _mm512_set1_ps(a5[q]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
        x = _mm512_set1_ps(a6[q]); c60 = _mm512_fmadd_ps(x, b0, c60); c61 = _mm512_fmadd_ps(x, b1, c61);
        x = _mm512_set1_ps(a7[q]); c70 = _mm512_fmadd_ps(x, b0, c70); c71 = _mm512_fmadd_ps(x, b1, c71);
        bp += NR;
    }
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
            r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
        }
        _mm512_mask_storeu_ps(row, m0, r0);
        _mm512_mask_storeu_ps(row + 16, m1, r1);
    }
}

// A buffer per thread for packed A (MC x KC), and the calling thread's buffer for packed B.
static _Thread_local float *a_buffer;
static _Thread_local float *b_buffer;
static _Thread_local size_t b_capacity;

static float *thread_a_buffer(void) {
    if (!a_buffer) a_buffer = aligned_alloc(64, (size_t)MC * KC * sizeof(float));
    return a_buffer;
}

typedef struct {
    int trans_a, trans_b;
    long m, n, k;
    float alpha, beta;
    const float *a; long lda;
    const float *b; long ldb;
    const float *bias;
    float *packed;
    float *c; long ldc;
    int split_rows;   // threads take row ranges (else sliver ranges)
} Problem;

AVX512 static void compute(const Problem *q, long m0, long m1, long s0, long s1) {
    if (m1 > q->m) m1 = q->m;
    if (m0 >= m1 || s0 >= s1) return;
    long n_pad = ceil_div(q->n, NR) * NR;
    float *ap = thread_a_buffer();
    if (!ap) abort();
    for (long pc = 0; pc < q->k; pc += KC) {
        long kc = q->k - pc < KC ? q->k - pc : KC;
        float beta = pc == 0 ? q->beta : 1.0f;
        const float *bias = pc == 0 ? q->bias : NULL;
        for (long ic = m0; ic < m1; ic += MC) {
            long mc = m1 - ic < MC ? m1 - ic : MC;
            // An A used as stored is read in place when its block stays in L1 (a recurrent
            // step's few rows): its rows stream as well as a packed copy would, and the copy is
            // saved. Larger blocks come from L2, where one packed stream beats eight row streams.
            int direct = !q->trans_a && mc * kc <= 32 * KC;
            if (q->trans_a) pack_a_transposed(q->a, q->lda, ic, mc, pc, kc, ap);
            else if (!direct) pack_a_rows(q->a, q->lda, ic, mc, pc, kc, ap);
            for (long s = s0; s < s1; s++) {
                const float *bs = q->packed + pc * n_pad + s * kc * NR;
                long nr = q->n - s * NR < NR ? q->n - s * NR : NR;
                for (long ir = 0; ir < mc; ir += MR) {
                    long mr = mc - ir < MR ? mc - ir : MR;
                    float *tile = q->c + (ic + ir) * q->ldc + s * NR;
                    const float *tile_bias = bias ? bias + s * NR : NULL;
                    if (direct)
                        kernel_8x32(kc, q->a + (ic + ir) * q->lda + pc, q->lda, 1, bs, tile, q->ldc, q->alpha,
                                    beta, tile_bias, mr, nr);
                    else
                        kernel_8x32(kc, ap + ir * kc, 1, MR, bs, tile, q->ldc, q->alpha, beta, tile_bias, mr, nr);
                }
            }
        }
    }
}

static void compute_task(void *context, int index, int count) {
    const Problem *q = context;
    long lo, hi;
    if (q->split_rows) {
        range_of(ceil_div(q->m, MR), MR, index, count, &lo, &hi);
        compute(q, lo, hi, 0, ceil_div(q->n, NR));
    } else {
        range_of(ceil_div(q->n, NR), 1, index, count, &lo, &hi);
        compute(q, 0, q->m, lo, hi);
    }
}

static void pack_task(void *context, int index, int count) {
    const Problem *q = context;
    long lo, hi;
    range_of(ceil_div(q->n, NR), 1, index, count, &lo, &hi);
    pack_b_slivers(q->trans_b, q->k, q->n, q->b, q->ldb, q->packed, lo, hi);
}

// Below about a million multiply-adds a second thread costs more than it saves.
static int threads_for(long m, long n, long k, int threads, long tiles) {
    double work = (double)m * (double)n * (double)k;
    int useful = work < 1.0e6 ? 1 : threads;
    if (useful > tiles) useful = (int)tiles;
    return useful < 1 ? 1 : useful;
}

void st_gemm_pack_b(int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads) {
    Problem q = {.trans_b = trans_b, .n = n, .k = k, .b = b, .ldb = ldb, .packed = packed};
    long slivers = ceil_div(n, NR);
    // Copying a float is weighed as 64 multiply-adds.
    st_parallel(pack_task, &q, threads_for(k, n, 64, threads, slivers));
}

void st_gemm_packed(int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads) {
    if (m <= 0 || n <= 0) return;
    long row_tiles = ceil_div(m, MR), sliver_tiles = ceil_div(n, NR);
    Problem q = {.trans_a = trans_a, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta,
                 .a = a, .lda = lda, .bias = bias, .packed = (float *)packed_b, .c = c, .ldc = ldc,
                 .split_rows = row_tiles > sliver_tiles};
    st_parallel(compute_task, &q, threads_for(m, n, k, threads, q.split_rows ? row_tiles : sliver_tiles));
}

void st_gemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads) {
    if (m <= 0 || n <= 0) return;
    size_t count = st_gemm_packed_b_count(k, n);
    if (count > b_capacity) {
        free(b_buffer);
        b_buffer = aligned_alloc(64, count * sizeof(float));
        if (!b_buffer) abort();
        b_capacity = count;
    }
    st_gemm_pack_b(trans_b, k, n, b, ldb, b_buffer, threads);
    st_gemm_packed(trans_a, m, n, k, alpha, a, lda, b_buffer, beta, bias, c, ldc, threads);
}

#else

size_t st_gemm_packed_b_count(long k, long n) { (void)k; (void)n; return 0; }
void st_gemm_pack_b(int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads) {
    (void)trans_b; (void)k; (void)n; (void)b; (void)ldb; (void)packed; (void)threads; abort();
}
void st_gemm_packed(int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads) {
    (void)trans_a; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)packed_b;
    (void)beta; (void)bias; (void)c; (void)ldc; (void)threads; abort();
}
void st_gemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads) {
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)bias; (void)c; (void)ldc; (void)threads; abort();
}

#endif
