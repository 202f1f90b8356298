// The GRU's and the tanh RNN's forward step kernels with 16 lanes (AVX-512), the twins of
// GRUKernels.forwardPortable and RNNKernels in Swift: same operation order, no contraction, so the
// results are bit-identical (the twins tests check it). Sampling runs one of these per layer and
// character, where the 8-lane Swift kernels took about a seventh of the time.
#include "CKernels.h"
#include "VectorMath16.h"

#include <stdlib.h>

#if defined(__x86_64__)

//   r = sigmoid(gx_r + gh_r + b_hr), z = sigmoid(gx_z + gh_z + b_hz),
//   hn = gh_n + b_hn, n = tanh(gx_n + r hn), h' = (1 - z) n + z h
// Without save_gates (inference) gx and gh are only read.
AVX512 void st_gru_forward(float *gx, float *gh, const float *bias_hh, const float *h_prev, float *h,
                           long rows, long hidden, int save_gates) {
    for (long b = 0; b < rows; b++) {
        float *xr = gx + b * 3 * hidden, *xz = xr + hidden, *xn = xz + hidden;
        float *hr = gh + b * 3 * hidden, *hz = hr + hidden, *hh = hz + hidden;
        const float *hp = h_prev + b * hidden;
        float *out = h + b * hidden;
        for (long j = 0; j < hidden; j += 16) {
            __mmask16 m = lane_mask(hidden - j);
            __m512 br = _mm512_setzero_ps(), bz = br, bn = br;
            if (bias_hh) {
                br = LOAD(bias_hh);
                bz = LOAD(bias_hh + hidden);
                bn = LOAD(bias_hh + 2 * hidden);
            }
            __m512 r = sigmoid16(_mm512_add_ps(_mm512_add_ps(LOAD(xr), LOAD(hr)), br));
            __m512 z = sigmoid16(_mm512_add_ps(_mm512_add_ps(LOAD(xz), LOAD(hz)), bz));
            __m512 hn = _mm512_add_ps(LOAD(hh), bn);
            __m512 n = tanh16(_mm512_add_ps(LOAD(xn), _mm512_mul_ps(r, hn)));
            if (save_gates) { STORE(xr, r); STORE(xz, z); STORE(xn, n); STORE(hh, hn); }
            STORE(out, _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(v(1), z), n), _mm512_mul_ps(z, LOAD(hp))));
        }
    }
}

AVX512 void st_tanh(const float *x, float *y, long count) {
    for (long j = 0; j < count; j += 16) {
        __mmask16 m = lane_mask(count - j);
        STORE(y, tanh16(LOAD(x)));
    }
}

#else

void st_gru_forward(float *gx, float *gh, const float *bias_hh, const float *h_prev, float *h, long rows, long hidden,
                    int save_gates) {
    (void)gx; (void)gh; (void)bias_hh; (void)h_prev; (void)h; (void)rows; (void)hidden; (void)save_gates; abort();
}
void st_tanh(const float *x, float *y, long count) { (void)x; (void)y; (void)count; abort(); }

#endif
