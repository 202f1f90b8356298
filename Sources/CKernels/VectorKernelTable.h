// The vector kernels of one instruction set as a table, which VectorKernels.c's public functions
// and the FMA probe (FMAProbe.c) choose from by their `isa` argument. VectorKernelsAVX512.c and
// VectorKernelsAVX2.c each define one, from the same generic code (VectorKernels.h).
#ifndef SEQTOOL_CKERNELS_VECTOR_KERNEL_TABLE_H
#define SEQTOOL_CKERNELS_VECTOR_KERNEL_TABLE_H

#include "CKernels.h"

typedef struct {
    void (*lstm_forward)(float *gates, const float *c_prev, float *c, float *h, long rows, long hidden);
    void (*lstm_backward)(const float *gates, const float *c, const float *c_prev, const float *dh,
                          const float *dc, float *d_gates, float *dc_prev, long rows, long hidden);
    void (*gru_forward)(float *gx, float *gh, const float *bias_hh, const float *h_prev, float *h, long rows,
                        long hidden, int save_gates);
    void (*gru_backward)(const float *gates, const float *gh, const float *h_prev, const float *dh,
                         float *d_gates, float *d_gh, float *dh_prev, long rows, long hidden);
    void (*tanh_map)(const float *x, float *y, long count);
    void (*sigmoid_map)(const float *x, float *y, long count);
    void (*exp_shifted_map)(const float *x, float shift, float *y, long count);
    void (*adam_update)(long count, float *w, const float *grad, float *m, float *v, const st_adam_constants *k);
    float (*fma_chains)(long rounds, float a, float b);
    int lanes;
} VectorKernels;

#include <stdlib.h>

#if defined(__x86_64__)
extern const VectorKernels vector_kernels_avx512;
extern const VectorKernels vector_kernels_avx2;

/// The table of `isa` (ST_CPU_AVX512 or ST_CPU_AVX2_FMA, one the CPU runs).
static inline const VectorKernels *vector_kernels(int isa) {
    return isa == ST_CPU_AVX512 ? &vector_kernels_avx512 : &vector_kernels_avx2;
}
#else
// No vector kernels off x86-64: Swift's `InstructionSet` is always `portable` there.
static inline const VectorKernels *vector_kernels(int isa) {
    (void)isa;
    abort();
}
#endif

#endif
