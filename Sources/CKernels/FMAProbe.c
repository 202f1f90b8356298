// The FMA peak of this machine's cores, measured rather than looked up: each thread runs 12
// independent chains of vector FMAs,
//
//     acc_j = acc_j * a + b   (j = 0..<12, every lane)
//
// enough chains to cover the FMA latency (4 cycles) on two FMA ports (Zen and Intel cores have
// two), so the loop is limited by the FMA throughput alone. The figure a GEMM or a training step
// is compared with: tokens/s x FLOPs per token over this.
#include "CKernels.h"
#include "Support.h"

#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// What one thread of the probe does and reports.
typedef struct {
    int isa, threads;
    long rounds;
    double flops[64];
} probe_job;

// The accumulators end here, so the compiler cannot drop the loops.
volatile float st_fma_probe_sink;

// The multiplier and addend (they keep the accumulators near 1), read from memory at run time:
// as constants the compiler would fold the chains away.
static volatile float probe_a = 0.999999f, probe_b = 1e-6f;

#if defined(__x86_64__)
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

AVX512 static float probe_avx512(long rounds) {
    const __m512 a = _mm512_set1_ps(probe_a), b = _mm512_set1_ps(probe_b);
#define INIT(j) __m512 acc##j = _mm512_set1_ps(probe_a + (float)(j) * 1e-3f);
#define STEP(j) acc##j = _mm512_fmadd_ps(acc##j, a, b);
#define SUM(j) +_mm512_reduce_add_ps(acc##j)
    CHAINS(INIT)
    for (long r = 0; r < rounds; r++) { CHAINS(STEP) CHAINS(STEP) CHAINS(STEP) CHAINS(STEP) }
    return 0 CHAINS(SUM);
#undef INIT
#undef STEP
#undef SUM
}

AVX2 static float probe_avx2(long rounds) {
    const __m256 a = _mm256_set1_ps(probe_a), b = _mm256_set1_ps(probe_b);
#define INIT(j) __m256 acc##j = _mm256_set1_ps(probe_a + (float)(j) * 1e-3f);
#define STEP(j) acc##j = _mm256_fmadd_ps(acc##j, a, b);
#define SUM(j) +acc##j[0]
    CHAINS(INIT)
    for (long r = 0; r < rounds; r++) { CHAINS(STEP) CHAINS(STEP) CHAINS(STEP) CHAINS(STEP) }
    return 0 CHAINS(SUM);
#undef INIT
#undef STEP
#undef SUM
}
#endif

static void probe_task(void *context, int index, int count) {
    probe_job *job = context;
    if (index == 0) job->threads = count;
    if (index >= 64) return;
    double start = now_seconds();
    float sink = 0;
    long lanes = 0;
#if defined(__x86_64__)
    if (job->isa == ST_CPU_AVX512) {
        sink = probe_avx512(job->rounds);
        lanes = 16;
    } else if (job->isa == ST_CPU_AVX2_FMA) {
        sink = probe_avx2(job->rounds);
        lanes = 8;
    }
#endif
    double seconds = now_seconds() - start;
    // 4 x 12 FMAs a round, 2 FLOPs a lane each.
    job->flops[index] = seconds > 0 ? (double)job->rounds * 48.0 * 2.0 * (double)lanes / seconds : 0;
    st_fma_probe_sink = sink;
}

double st_fma_peak(int isa, int threads, long rounds) {
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    probe_job job = {.isa = isa, .threads = threads, .rounds = rounds};
    st_parallel(probe_task, &job, threads);
    double total = 0;
    for (int i = 0; i < job.threads && i < 64; i++) total += job.flops[i];
    return total;
}
