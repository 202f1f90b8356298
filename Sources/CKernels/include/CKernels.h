// Kernels written for this project in C, where Swift cannot reach the instruction set: a
// single-precision GEMM and GEMV with AVX2 and AVX-512 micro-kernels, the AVX2 and AVX-512 twins
// of the Swift vector kernels (gates, activations, optimizer updates), all chosen at run time so
// that one binary runs on every x86-64 machine, and the small thread pool they run on.
#ifndef SEQTOOL_CKERNELS_H
#define SEQTOOL_CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction-set extensions the kernels are written for.
enum { ST_CPU_AVX2_FMA = 1, ST_CPU_AVX512 = 2 };

/// 1 when this CPU and OS run `feature` (AVX-512: F and VL with the ZMM state enabled).
int st_cpu_supports(int feature);

// The GEMM and GEMV functions take `isa` first: ST_CPU_AVX2_FMA or ST_CPU_AVX512, one that
// `st_cpu_supports` said this CPU runs. Their packed layouts differ: pack and multiply with one.

/// Floats needed to hold op(B) (k, n) in the packed layout `st_gemm_pack_b` writes.
size_t st_gemm_packed_b_count(int isa, long k, long n);

/// Packs op(B) (k, n) for `st_gemm_packed`: B[p][j] is b[p*ldb + j], or b[j*ldb + p] when
/// trans_b is set. Use it when the same B multiplies many A (a recurrent weight over all steps).
void st_gemm_pack_b(int isa, int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads);

/// C = alpha op(A) op(B) + beta C + bias, row-major, with op(B) packed by `st_gemm_pack_b`.
/// op(A) is (m, k): A[i][p] is a[i*lda + p], or a[p*lda + i] when trans_a is set. bias (n
/// values, or NULL) is added to every row. beta = 0 never reads C. Runs on up to `threads`
/// threads (the caller's thread is one of them).
void st_gemm_packed(int isa, int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads);

/// C = alpha op(A) op(B) + beta C + bias, row-major, packing B into a buffer kept between calls.
void st_gemm(int isa, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads);

/// C = alpha a^T b + beta C (a stored (k, m), b (k, n)) as `st_gemm` computes it, which also adds
/// every row p of a, in order of p, into row sum_rows[p] of `sums` (row 0 when sum_rows is NULL;
/// rows of m floats) while it packs a: a weight gradient dG^T X that also gives the bias gradient
/// (the column sums of dG) or a token table's (dG's rows by token id), without another pass.
void st_gemm_adding_a_rows(int isa, long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                           long ldb, float beta, float *c, long ldc, float *sums, const long *sum_rows, int threads);

/// c = alpha op(B) a + beta c for one row a (k): c[j] = alpha sum_p a[p] op(B)[p][j] + beta c[j],
/// op(B) (k, n) stored as in `st_gemm`. The matrix streams once, split by columns over threads.
void st_gemv(int isa, int trans_b, long n, long k, float alpha, const float *a, long inc_a,
             const float *b, long ldb, float beta, float *c, int threads);

// The vector kernels below also take `isa` first (ST_CPU_AVX2_FMA or ST_CPU_AVX512, one the CPU
// runs): 8 or 16 lanes, the same bits either way, the twins of Swift's portable kernels (same
// arguments, same operations in the same order; GateKernelTwinsTests checks the bits).

/// One LSTM step for `rows` sequences, twin of LSTMKernels.forwardPortable (Recurrent/Cells/
/// LSTM.swift): gates (rows, 4H) pre-activations [i f g o] become the activated gates;
/// c = f c_prev + i g, h = o tanh(c).
void st_lstm_forward(int isa, float *gates, const float *c_prev, float *c, float *h, long rows, long hidden);

/// The step's gradients, twin of LSTMKernels.backwardPortable: from dh, dc and the saved gates,
/// d_gates (rows, 4H) with respect to the pre-activations and dc_prev = dc_total f.
void st_lstm_backward(int isa, const float *gates, const float *c, const float *c_prev, const float *dh,
                      const float *dc, float *d_gates, float *dc_prev, long rows, long hidden);

/// One GRU step, twin of GRUKernels.forwardPortable: from gx = W_ih x + b_ih and gh = W_hh h
/// (rows, 3H), h; with save_gates, gx becomes the activated [r z n] and gh's n block
/// hn = W_hn h + b_hn (what backward needs). bias_hh may be NULL.
void st_gru_forward(int isa, float *gx, float *gh, const float *bias_hh, const float *h_prev, float *h, long rows,
                    long hidden, int save_gates);

/// dst (cols, rows) = src (rows, cols)^T, or dst += it when `add` is set: dst[c * ldd + r] (+)=
/// src[r * lds + c]. `isa` as for the GEMM (0: portable loops). Copies and additions only: the
/// same bits on every instruction set.
void st_transpose(int isa, const float *src, long rows, long cols, long lds, float *dst, long ldd, int add);


/// The GRU step's gradients, twin of GRUKernels.backwardPortable: from dh and what forward saved
/// (gates [r z n], gh with hn), d_gates [dr dz dn] and d_gh [dr dz dn*r] (rows, 3H), and
/// dh_prev = dh z (rows, H), before the W_hh term.
void st_gru_backward(int isa, const float *gates, const float *gh, const float *h_prev, const float *dh,
                     float *d_gates, float *d_gh, float *dh_prev, long rows, long hidden);

/// y = tanh(x) over `count` floats (x and y may be the same): `VectorMath.tanh` elementwise.
void st_tanh(int isa, const float *x, float *y, long count);

/// y = sigmoid(x) over `count` floats (x and y may be the same): `VectorMath.sigmoid` elementwise.
void st_sigmoid(int isa, const float *x, float *y, long count);

/// y = exp(x - shift) over `count` floats (x and y may be the same): `VectorMath.exp` elementwise.
void st_exp_shifted(int isa, const float *x, float shift, float *y, long count);

/// The scalars of one Adam step (Optimizers/Adam.swift): the decoupled decay factor, the coupled
/// L2 coefficient, the moment decay rates, lr / (1 - beta1^t), sqrt(1 - beta2^t) and epsilon.
typedef struct {
    float decay, l2, beta1, beta2, step_size, correction2_sqrt, epsilon;
} st_adam_constants;

/// One Adam step over `count` weights w with gradients grad and moments m, v (no AMSGrad):
///   w *= decay;  g = grad + l2 w;  m += (1 - beta1)(g - m);  v = beta2 v + (1 - beta2) g g;
///   w -= step_size m / (sqrt(v) / correction2_sqrt + epsilon)
void st_adam_update(int isa, long count, float *w, const float *grad, float *m, float *v,
                    const st_adam_constants *constants);

/// The FMA throughput of `threads` cores in FLOP/s (the pool may run fewer threads when the
/// machine has fewer cores), from `rounds` x 48 vector FMAs a thread in 12 independent chains:
/// the peak a kernel's FLOP/s is a fraction of. `isa` as the GEMM's; 0 for any other value.
double st_fma_peak(int isa, int threads, long rounds);

/// A task run by every thread of the pool: thread `index` of `count`.
typedef void (*st_task)(void *context, int index, int count);

/// Runs `task` on `count` threads (the caller is index 0) and returns when all have finished.
/// Workers spin briefly between tasks, so back-to-back small tasks start in well under a
/// microsecond, then sleep. Called from inside a task, it runs `task` on the calling thread alone.
void st_parallel(st_task task, void *context, int count);

/// A counter that one thread of a task advances and others wait on: a hand-off of data inside a
/// task (write the data, then post).
typedef struct st_signal st_signal;
st_signal *st_signal_create(void);
void st_signal_destroy(st_signal *signal);
/// Sets the counter to `value` (release: the writes before it are seen by whoever waits for it).
void st_signal_post(st_signal *signal, long value);
/// Returns once the counter is at least `value` (spins, then yields, then naps 50 us at a time).
void st_signal_wait(st_signal *signal, long value);

/// Asks the cache for `bytes` from `start` (into L2) without waiting: a recurrent step fetches
/// the next step's saved activations while its GEMM runs.
void st_prefetch(const void *start, long bytes);

#ifdef __cplusplus
}
#endif

#endif
