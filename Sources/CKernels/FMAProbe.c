// The FMA peak of this machine's cores, measured rather than looked up: each thread runs
// FMAChains.h's loop (12 independent chains of vector FMAs, limited by the FMA throughput alone)
// for its instruction set. The figure a GEMM or a training step is compared with: tokens/s x FLOPs
// per token over this.
#include "CKernels.h"
#include "VectorKernelTable.h"

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

static void probe_task(void *context, int index, int count) {
    probe_job *job = context;
    if (index == 0) job->threads = count;
    if (index >= 64) return;
    double start = now_seconds();
    float sink = 0;
    long lanes = 0;
    if (job->isa == ST_CPU_AVX512 || job->isa == ST_CPU_AVX2_FMA) {
        const VectorKernels *kernels = vector_kernels(job->isa);
        sink = kernels->fma_chains(job->rounds, probe_a, probe_b);
        lanes = kernels->lanes;
    }
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
