// An instruction set's vector kernels file (VectorKernelsAVX512.c, VectorKernelsAVX2.c) after it
// has included its lanes (Lanes16.h or Lanes8.h): the generic kernels compiled for those lanes,
// and their table, `vector_kernels_avx512` or `vector_kernels_avx2`.
#include "VectorKernelTable.h"
#include "VectorMath.h"
#include "GateKernels.h"
#include "VectorMaps.h"
#include "Updates.h"
#include "FMAChains.h"

#if defined(__x86_64__)
const VectorKernels KERNEL(vector_kernels) = {
    .lstm_forward = KERNEL(lstm_forward),
    .lstm_backward = KERNEL(lstm_backward),
    .gru_forward = KERNEL(gru_forward),
    .gru_backward = KERNEL(gru_backward),
    .tanh_map = KERNEL(tanh_map),
    .sigmoid_map = KERNEL(sigmoid_map),
    .exp_shifted_map = KERNEL(exp_shifted_map),
    .adam_update = KERNEL(adam_update),
    .fma_chains = KERNEL(fma_chains),
    .lanes = LANES,
};
#endif
