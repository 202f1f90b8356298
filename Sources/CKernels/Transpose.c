// Matrix transposes for the channels-last convolution (Feedforward's Convolution1D.swift), which
// moves every activation and gradient between (C, L) and (L, C) layouts: 8 x 8 blocks transposed
// in AVX registers (AVX2, which every x86-64 machine with the native kernels has), the edges one
// float at a time. Copies and single additions only, so every instruction set gives the same bits.
#include "CKernels.h"
#include "Support.h"

#if defined(__x86_64__)
// dst[c * ldd + r] (+)= src[r * lds + c] for r < rows, c < cols, 8 x 8 blocks at a time.
AVX2 static void transpose_avx2(const float *src, long rows, long cols, long lds, float *dst, long ldd, int add) {
    long r = 0;
    for (; r + 8 <= rows; r += 8) {
        long c = 0;
        for (; c + 8 <= cols; c += 8) {
            float *out = dst + c * ldd + r;
            if (!add) {
                transpose8x8(src + r * lds + c, lds, out, ldd);
                continue;
            }
            float block[64];
            transpose8x8(src + r * lds + c, lds, block, 8);
            for (long i = 0; i < 8; i++)
                _mm256_storeu_ps(out + i * ldd, _mm256_add_ps(_mm256_loadu_ps(out + i * ldd),
                                                              _mm256_loadu_ps(block + 8 * i)));
        }
        for (; c < cols; c++)
            for (long i = r; i < r + 8; i++) dst[c * ldd + i] = add ? dst[c * ldd + i] + src[i * lds + c] : src[i * lds + c];
    }
    for (; r < rows; r++)
        for (long c = 0; c < cols; c++) dst[c * ldd + r] = add ? dst[c * ldd + r] + src[r * lds + c] : src[r * lds + c];
}
#endif

void st_transpose(int isa, const float *src, long rows, long cols, long lds, float *dst, long ldd, int add) {
#if defined(__x86_64__)
    if (isa == ST_CPU_AVX2_FMA || isa == ST_CPU_AVX512) {
        transpose_avx2(src, rows, cols, lds, dst, ldd, add);
        return;
    }
#endif
    (void)isa;
    for (long r = 0; r < rows; r++)
        for (long c = 0; c < cols; c++) dst[c * ldd + r] = add ? dst[c * ldd + r] + src[r * lds + c] : src[r * lds + c];
}
