// The part of the GEMM that does not depend on the instruction set, in the style of BLIS /
// GotoBLAS: op(B) is packed into k-major slivers NR columns wide, op(A) into k-major slivers MR
// rows tall (a small A, and a narrow B whose columns fill whole slivers, used as stored are read
// in place), and a micro-kernel keeps an MR x NR tile of C in registers:
//
//     for p in 0..<kc:  C[i][0..<NR] += A[i][p] * B[p][0..<NR]   (i = 0..<MR)
//
// Threads split the larger of the two tile counts (rows of C in units of MR, or slivers of
// columns). A kernel file defines, before including this: GEMM_TARGET (its function attribute),
// MR, NR, KC, MC, GEMM_FN(name) (its public names), `micro_kernel` (the signature below),
// `copy_b_row` (NR floats of a row of B, zeros past `width`) and EVEN_TILES (1 when the kernel's
// cost follows the rows it is given, see `compute`); it gets the packing, the blocking, the thread
// split and the public functions.
#include "CKernels.h"
#include "Support.h"

#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

size_t GEMM_FN(st_gemm_packed_b_count)(long k, long n) { return (size_t)k * (size_t)(ceil_div(n, NR) * NR); }

// Slivers [s0, s1) of op(B): block of rows pc..pc+kc starts at pc * n_pad; sliver s of the
// block at s * kc * NR; row p of a sliver holds its NR columns, zero past n.
GEMM_TARGET static void pack_b_slivers(int trans_b, long k, long n, const float *b, long ldb, float *packed,
                                       long s0, long s1) {
    long n_pad = ceil_div(n, NR) * NR;
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        for (long s = s0; s < s1; s++) {
            float *dst = packed + pc * n_pad + s * kc * NR;
            long j0 = s * NR, width = n - j0 < NR ? n - j0 : NR;
            if (!trans_b) {
                // Row p of the sliver is NR contiguous floats of b.
                for (long p = 0; p < kc; p++) copy_b_row(dst + p * NR, b + (pc + p) * ldb + j0, width);
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
// slivers, zero rows past mc. Row by row of a: each is read once, front to back, and two rows
// fill 2 * MR consecutive floats of every sliver. (Sliver by sliver instead walks down a column
// of a, lda floats a step: a weight gradient's lda of 1024 floats is 4 KB, which maps every line
// to one L1 set, and the packing took a tenth of a gradient GEMM's time.) A kernel file that
// defines PACK_AHEAD has the rows that many ahead prefetched.
static void pack_a_transposed(const float *a, long lda, long i0, long mc, long pc, long kc, float *dst) {
    long full = mc / MR * MR;
    long p = 0;
    for (; p + 2 <= kc; p += 2) {
        const float *r0 = a + (pc + p) * lda + i0, *r1 = r0 + lda;
#ifdef PACK_AHEAD
        // Each row's mc floats sit in a page of their own when lda is 1024 floats (a weight
        // gradient's dG), where the hardware's stream prefetch stops: fetch the rows PACK_AHEAD on.
        if (p + PACK_AHEAD + 2 <= kc)
            for (long i = 0; i < mc; i += 16) {
                _mm_prefetch((const char *)(r0 + PACK_AHEAD * lda + i), _MM_HINT_T0);
                _mm_prefetch((const char *)(r1 + PACK_AHEAD * lda + i), _MM_HINT_T0);
            }
#endif
        for (long ir = 0; ir < full; ir += MR) {
            float *d = dst + ir * kc + p * MR;
            memcpy(d, r0 + ir, MR * sizeof(float));
            memcpy(d + MR, r1 + ir, MR * sizeof(float));
        }
    }
    for (; p < kc; p++)
        for (long ir = 0; ir < full; ir += MR)
            memcpy(dst + ir * kc + p * MR, a + (pc + p) * lda + i0 + ir, MR * sizeof(float));
    if (full == mc) return;
    // The last, partial sliver: zero rows past mc.
    long rows = mc - full;
    float *sliver = dst + full * kc;
    for (p = 0; p < kc; p++) {
        const float *src = a + (pc + p) * lda + i0 + full;
        for (long ii = 0; ii < MR; ii++) sliver[p * MR + ii] = ii < rows ? src[ii] : 0;
    }
}

// Rows [pc, pc + kc) of a (stored (k, m)), columns [i0, i0 + mc), each added into row
// `rows[p]` of `sums` (row 0 without `rows`; rows of m floats), p in order: run after packing the
// block, which left it in cache. Called for every block of a product in order of pc, so each
// float of `sums` gets its rows in the order p = 0, 1, ... that a plain column-sum loop adds them.
GEMM_TARGET static void add_a_rows(const float *a, long lda, long i0, long mc, long pc, long kc, float *sums,
                                   const long *rows, long m) {
    for (long p = pc; p < pc + kc; p++) {
        const float *restrict src = a + p * lda + i0;
        float *restrict dst = sums + (rows ? rows[p] : 0) * m + i0;
        for (long i = 0; i < mc; i++) dst[i] += src[i];
    }
}

// The same for op(A) = a as stored (m, k): each 8 x 8 block is transposed in registers (element
// by element, this packing took a tenth of an AVX2 product with M = T*B). With MR = 6 (AVX2) a
// block spans the sliver's rows and the next two, which are dropped, so it is used where those
// rows are inside the block; the rest, and partial slivers, go element by element.
GEMM_TARGET static void pack_a_rows(const float *a, long lda, long i0, long mc, long pc, long kc, float *dst) {
    for (long ir = 0; ir < mc; ir += MR) {
        long rows = mc - ir < MR ? mc - ir : MR;
        float *sliver = dst + ir * kc;
        const float *src = a + (i0 + ir) * lda + pc;
        long p = 0;
        if (rows == MR && ir + 8 <= mc)
            for (; p + 8 <= kc; p += 8) {
                if (MR == 8) {
                    transpose8x8(src + p, lda, sliver + p * MR, MR);
                    continue;
                }
                float block[64] __attribute__((aligned(32)));
                transpose8x8(src + p, lda, block, 8);
                for (int q = 0; q < 8; q++) memcpy(sliver + (p + q) * MR, block + 8 * q, MR * sizeof(float));
            }
        for (; p < kc; p++)
            for (long ii = 0; ii < MR; ii++) sliver[p * MR + ii] = ii < rows ? src[ii * lda + p] : 0;
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
    float *sums;      // with trans_a: the rows of a are added into these as A is packed (add_a_rows)
    const long *sum_rows;
} Problem;

GEMM_TARGET static void compute(const Problem *q, long m0, long m1, long s0, long s1) {
    if (m1 > q->m) m1 = q->m;
    if (m0 >= m1 || s0 >= s1) return;
    long n_pad = ceil_div(q->n, NR) * NR;
    // Every thread packs the A rows it multiplies: split by slivers, all of them, and the first
    // thread alone adds them up.
    float *sums = q->trans_a && (q->split_rows || s0 == 0) ? q->sums : NULL;
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
            // saved. Larger blocks come from L2, where one packed stream beats MR row streams.
            int direct = !q->trans_a && mc * kc <= 32 * KC;
            if (q->trans_a) pack_a_transposed(q->a, q->lda, ic, mc, pc, kc, ap);
            else if (!direct) pack_a_rows(q->a, q->lda, ic, mc, pc, kc, ap);
            if (sums) add_a_rows(q->a, q->lda, ic, mc, pc, kc, sums, q->sum_rows, q->m);
            // Read in place, with EVEN_TILES, the rows are shared out evenly over the fewest tiles
            // (32 rows on MR = 6: 6 6 5 5 5 5, not 6 6 6 6 6 2), so that a kernel sized to its tile
            // does no work for rows that are not there. Packed slivers hold MR rows each, and a
            // kernel that always computes MR rows gains nothing (the AVX-512 one ran 1.5% slower
            // with the even split).
            int even = EVEN_TILES && direct;
            long tiles = ceil_div(mc, MR), base = even ? mc / tiles : MR, extra = even ? mc % tiles : 0;
            // The block's slivers: packed (kc x NR each, rows NR apart), or B's columns in place
            // (NR columns apart, rows ldb apart).
            const float *b_block = q->packed ? q->packed + pc * n_pad : q->b + pc * q->ldb;
            long sliver_step = q->packed ? kc * NR : NR, b_step = q->packed ? NR : q->ldb;
            for (long s = s0; s < s1; s++) {
                const float *bs = b_block + s * sliver_step;
                long nr = q->n - s * NR < NR ? q->n - s * NR : NR;
                for (long t = 0, ir = 0, mr; t < tiles; t++, ir += mr) {
                    mr = t < extra ? base + 1 : base;
                    if (mr > mc - ir) mr = mc - ir;
                    float *tile = q->c + (ic + ir) * q->ldc + s * NR;
                    const float *tile_bias = bias ? bias + s * NR : NULL;
                    // The first tile of a sliver fetches the next sliver for the tiles after it.
                    const float *next = ir == 0 && s + 1 < s1 ? bs + sliver_step : NULL;
                    if (direct)
                        micro_kernel(kc, q->a + (ic + ir) * q->lda + pc, q->lda, 1, bs, b_step, next, tile, q->ldc,
                                     q->alpha, beta, tile_bias, mr, nr);
                    else
                        micro_kernel(kc, ap + ir * kc, 1, MR, bs, b_step, next, tile, q->ldc, q->alpha, beta,
                                     tile_bias, mr, nr);
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

void GEMM_FN(st_gemm_pack_b)(int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads) {
    Problem q = {.trans_b = trans_b, .n = n, .k = k, .b = b, .ldb = ldb, .packed = packed};
    long slivers = ceil_div(n, NR);
    // Copying a float is weighed as 64 multiply-adds.
    st_parallel(pack_task, &q, gemm_threads(k, n, 64, threads, slivers));
}

// Runs the product `q`, its op(B) packed (or, with q->packed NULL, read in place), on up to
// `threads` threads split by the larger of its tile counts.
static void run_packed(Problem *q, int threads) {
    long row_tiles = ceil_div(q->m, MR), sliver_tiles = ceil_div(q->n, NR);
    q->split_rows = row_tiles > sliver_tiles;
    st_parallel(compute_task, q, gemm_threads(q->m, q->n, q->k, threads, q->split_rows ? row_tiles : sliver_tiles));
}

void GEMM_FN(st_gemm_packed)(int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                             const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads) {
    if (m <= 0 || n <= 0) return;
    Problem q = {.trans_a = trans_a, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta,
                 .a = a, .lda = lda, .bias = bias, .packed = (float *)packed_b, .c = c, .ldc = ldc};
    run_packed(&q, threads);
}

// Packs op(B) into the calling thread's buffer (kept between calls), then runs the product `q`.
// A B used as stored whose columns fill whole slivers and whose KC-row blocks span at most 256 KB
// is read in place instead (q->packed stays NULL), its rows ldb apart: such a block stays in L2
// as a packed one would, and the copy is saved. The sequence-wide products of backpropagation
// with H = 256 (dW = dG^T X, dX = dG W) have such a B: `seqtool bench layer --threads 2`'s
// backward went from 177 to 183 GFLOP/s (AVX-512; AVX2 171 -> 178), on one thread by under 1% (on
// two the packing was a parallel task of its own, with its own wait). Wider rows lose: `seqtool
// bench gemm --m 1024 --k 1024 --threads 1` with N = 1024 ran 105 instead of 108 GFLOP/s in place
// (AVX2 96 instead of 108), with N = 4096 97 instead of 107 (AVX2 84); N = 512 gained on AVX-512
// (106 -> 110) and lost on AVX2 (106 -> 104).
static void pack_b_and_run(Problem *q, int threads) {
    if (!q->trans_b && q->n % NR == 0 && q->ldb * KC <= 64 * 1024) {
        q->packed = NULL;
        run_packed(q, threads);
        return;
    }
    size_t count = GEMM_FN(st_gemm_packed_b_count)(q->k, q->n);
    if (count > b_capacity) {
        free(b_buffer);
        b_buffer = aligned_alloc(64, count * sizeof(float));
        if (!b_buffer) abort();
        b_capacity = count;
    }
    GEMM_FN(st_gemm_pack_b)(q->trans_b, q->k, q->n, q->b, q->ldb, b_buffer, threads);
    q->packed = b_buffer;
    run_packed(q, threads);
}

void GEMM_FN(st_gemm)(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                      const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads) {
    if (m <= 0 || n <= 0) return;
    Problem q = {.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta,
                 .a = a, .lda = lda, .b = b, .ldb = ldb, .bias = bias, .c = c, .ldc = ldc};
    pack_b_and_run(&q, threads);
}

void GEMM_FN(st_gemm_adding_a_rows)(long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                                    long ldb, float beta, float *c, long ldc, float *sums, const long *sum_rows,
                                    int threads) {
    if (m <= 0) return;
    if (n <= 0) {
        // No product, but the sums are still owed.
        add_a_rows(a, lda, 0, m, 0, k, sums, sum_rows, m);
        return;
    }
    Problem q = {.trans_a = 1, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta, .a = a, .lda = lda, .b = b,
                 .ldb = ldb, .c = c, .ldc = ldc, .sums = sums, .sum_rows = sum_rows};
    pack_b_and_run(&q, threads);
}
