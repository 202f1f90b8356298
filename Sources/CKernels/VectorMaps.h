// Elementwise tanh, sigmoid and shifted exp over a buffer, written once over the lanes of
// Lanes16.h or Lanes8.h (include one and VectorMath.h first): the twins of `VectorMath.map` with
// the Swift functions (SeqTensor/Compute/VectorMath.swift), bit-identical per element.
#ifndef SEQTOOL_CKERNELS_VECTOR_MAPS_H
#define SEQTOOL_CKERNELS_VECTOR_MAPS_H

#if defined(__x86_64__)

// y = tanh(x) over `count` floats (x and y may be the same).
TARGET static void KERNEL(tanh_map)(const float *x, float *y, long count) {
    for (long j = 0; j < count; j += LANES) vstore(y + j, count - j, vtanh(vload(x + j, count - j)));
}

// y = sigmoid(x) over `count` floats (x and y may be the same).
TARGET static void KERNEL(sigmoid_map)(const float *x, float *y, long count) {
    for (long j = 0; j < count; j += LANES) vstore(y + j, count - j, vsigmoid(vload(x + j, count - j)));
}

// y = exp(x - shift) over `count` floats (x and y may be the same): a softmax's numerators.
TARGET static void KERNEL(exp_shifted_map)(const float *x, float shift, float *y, long count) {
    vf s = vsplat(shift);
    for (long j = 0; j < count; j += LANES) vstore(y + j, count - j, vexp(vsub(vload(x + j, count - j), s)));
}

#endif
#endif
