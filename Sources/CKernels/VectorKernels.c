// The vector kernels' public entry points: each runs the kernel of the instruction set the caller
// names (ST_CPU_AVX2_FMA or ST_CPU_AVX512, from Swift's `InstructionSet`, chosen once per
// process). The kernels are VectorKernels.h's, compiled in VectorKernelsAVX2.c and
// VectorKernelsAVX512.c.
#include "CKernels.h"
#include "VectorKernelTable.h"

void st_lstm_forward(int isa, float *gates, const float *c_prev, float *c, float *h, long rows, long hidden) {
    vector_kernels(isa)->lstm_forward(gates, c_prev, c, h, rows, hidden);
}

void st_lstm_backward(int isa, const float *gates, const float *c, const float *c_prev, const float *dh,
                      const float *dc, float *d_gates, float *dc_prev, long rows, long hidden) {
    vector_kernels(isa)->lstm_backward(gates, c, c_prev, dh, dc, d_gates, dc_prev, rows, hidden);
}

void st_gru_forward(int isa, float *gx, float *gh, const float *bias_hh, const float *h_prev, float *h, long rows,
                    long hidden, int save_gates) {
    vector_kernels(isa)->gru_forward(gx, gh, bias_hh, h_prev, h, rows, hidden, save_gates);
}

void st_gru_backward(int isa, const float *gates, const float *gh, const float *h_prev, const float *dh,
                     float *d_gates, float *d_gh, float *dh_prev, long rows, long hidden) {
    vector_kernels(isa)->gru_backward(gates, gh, h_prev, dh, d_gates, d_gh, dh_prev, rows, hidden);
}

void st_tanh(int isa, const float *x, float *y, long count) { vector_kernels(isa)->tanh_map(x, y, count); }

void st_sigmoid(int isa, const float *x, float *y, long count) { vector_kernels(isa)->sigmoid_map(x, y, count); }

void st_exp_shifted(int isa, const float *x, float shift, float *y, long count) {
    vector_kernels(isa)->exp_shifted_map(x, shift, y, count);
}

void st_adam_update(int isa, long count, float *w, const float *grad, float *m, float *v,
                    const st_adam_constants *constants) {
    vector_kernels(isa)->adam_update(count, w, grad, m, v, constants);
}
