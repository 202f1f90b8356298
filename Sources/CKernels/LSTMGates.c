// The LSTM's per-step gate kernels with 16 lanes (AVX-512), the twins of LSTMKernels.forwardPortable
// and backwardPortable in Swift (Recurrent/Cells/LSTM.swift), which are limited to 8 (Swift has no
// per-function target). Same algorithms, same operation order, no contraction
// (-ffp-contract=off): the results are bit-identical to the Swift kernels, which the tests check.
#include "CKernels.h"
#include "VectorMath16.h"

#include <stdlib.h>

#if defined(__x86_64__)

AVX512 void st_lstm_forward(float *gates, const float *c_prev, float *c, float *h, long rows, long hidden) {
    for (long b = 0; b < rows; b++) {
        float *gi = gates + b * 4 * hidden, *gf = gi + hidden, *gg = gf + hidden, *go = gg + hidden;
        const float *cp = c_prev + b * hidden;
        float *cn = c + b * hidden, *hn = h + b * hidden;
        for (long j = 0; j < hidden; j += 16) {
            __mmask16 m = lane_mask(hidden - j);
            __m512 i = sigmoid16(LOAD(gi)), f = sigmoid16(LOAD(gf)), g = tanh16(LOAD(gg)), o = sigmoid16(LOAD(go));
            __m512 c_new = _mm512_add_ps(_mm512_mul_ps(f, LOAD(cp)), _mm512_mul_ps(i, g));
            STORE(gi, i); STORE(gf, f); STORE(gg, g); STORE(go, o);
            STORE(cn, c_new);
            STORE(hn, _mm512_mul_ps(o, tanh16(c_new)));
        }
    }
}

AVX512 void st_lstm_backward(const float *gates, const float *c, const float *c_prev, const float *dh,
                             const float *dc, float *d_gates, float *dc_prev, long rows, long hidden) {
    for (long b = 0; b < rows; b++) {
        const float *gi = gates + b * 4 * hidden, *gf = gi + hidden, *gg = gf + hidden, *go = gg + hidden;
        float *di = d_gates + b * 4 * hidden, *df = di + hidden, *dg = df + hidden, *d_o = dg + hidden;
        long o = b * hidden;
        for (long j = 0; j < hidden; j += 16) {
            __mmask16 m = lane_mask(hidden - j);
            __m512 i = LOAD(gi), f = LOAD(gf), g = LOAD(gg), og = LOAD(go);
            __m512 tc = tanh16(LOAD(c + o));
            __m512 dhv = LOAD(dh + o);
            __m512 one = v(1);
            __m512 dct = _mm512_add_ps(
                LOAD(dc + o), _mm512_mul_ps(_mm512_mul_ps(dhv, og), _mm512_sub_ps(one, _mm512_mul_ps(tc, tc))));
            STORE(di, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dct, g), i), _mm512_sub_ps(one, i)));
            STORE(df, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dct, LOAD(c_prev + o)), f), _mm512_sub_ps(one, f)));
            STORE(dg, _mm512_mul_ps(_mm512_mul_ps(dct, i), _mm512_sub_ps(one, _mm512_mul_ps(g, g))));
            STORE(d_o, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dhv, tc), og), _mm512_sub_ps(one, og)));
            STORE(dc_prev + o, _mm512_mul_ps(dct, f));
        }
    }
}

#else

void st_lstm_forward(float *gates, const float *c_prev, float *c, float *h, long rows, long hidden) {
    (void)gates; (void)c_prev; (void)c; (void)h; (void)rows; (void)hidden; abort();
}
void st_lstm_backward(const float *gates, const float *c, const float *c_prev, const float *dh, const float *dc,
                      float *d_gates, float *dc_prev, long rows, long hidden) {
    (void)gates; (void)c; (void)c_prev; (void)dh; (void)dc; (void)d_gates; (void)dc_prev; (void)rows; (void)hidden;
    abort();
}

#endif
