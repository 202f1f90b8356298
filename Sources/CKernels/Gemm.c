// The GEMM's public entry points: each runs the kernels of the instruction set the caller names
// (ST_CPU_AVX2_FMA or ST_CPU_AVX512, from Swift's `InstructionSet`, chosen once per process).
// The kernels are GemmAVX2.c and GemmAVX512.c over GemmDriver.h.
#include "CKernels.h"

#include <stdlib.h>

#if defined(__x86_64__)
size_t st_gemm_packed_b_count_avx2(long k, long n);
size_t st_gemm_packed_b_count_avx512(long k, long n);
void st_gemm_pack_b_avx2(int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads);
void st_gemm_pack_b_avx512(int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads);
void st_gemm_packed_avx2(int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                         const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads);
void st_gemm_packed_avx512(int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                           const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads);
void st_gemm_avx2(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads);
void st_gemm_avx512(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads);
void st_gemm_adding_a_rows_avx2(long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                                long ldb, float beta, float *c, long ldc, float *sums, const long *sum_rows,
                                int threads);
void st_gemm_adding_a_rows_avx512(long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                                  long ldb, float beta, float *c, long ldc, float *sums, const long *sum_rows,
                                  int threads);

size_t st_gemm_packed_b_count(int isa, long k, long n) {
    return isa == ST_CPU_AVX512 ? st_gemm_packed_b_count_avx512(k, n) : st_gemm_packed_b_count_avx2(k, n);
}

void st_gemm_pack_b(int isa, int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads) {
    if (isa == ST_CPU_AVX512) st_gemm_pack_b_avx512(trans_b, k, n, b, ldb, packed, threads);
    else st_gemm_pack_b_avx2(trans_b, k, n, b, ldb, packed, threads);
}

void st_gemm_packed(int isa, int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads) {
    if (isa == ST_CPU_AVX512)
        st_gemm_packed_avx512(trans_a, m, n, k, alpha, a, lda, packed_b, beta, bias, c, ldc, threads);
    else
        st_gemm_packed_avx2(trans_a, m, n, k, alpha, a, lda, packed_b, beta, bias, c, ldc, threads);
}

void st_gemm(int isa, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads) {
    if (isa == ST_CPU_AVX512)
        st_gemm_avx512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc, threads);
    else
        st_gemm_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc, threads);
}

void st_gemm_adding_a_rows(int isa, long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                           long ldb, float beta, float *c, long ldc, float *sums, const long *sum_rows, int threads) {
    if (isa == ST_CPU_AVX512)
        st_gemm_adding_a_rows_avx512(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, sums, sum_rows, threads);
    else
        st_gemm_adding_a_rows_avx2(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, sums, sum_rows, threads);
}

#else

// No native kernels off x86-64: Swift's `GemmBackend` never calls these there.
size_t st_gemm_packed_b_count(int isa, long k, long n) { (void)isa; (void)k; (void)n; return 0; }
void st_gemm_pack_b(int isa, int trans_b, long k, long n, const float *b, long ldb, float *packed, int threads) {
    (void)isa; (void)trans_b; (void)k; (void)n; (void)b; (void)ldb; (void)packed; (void)threads; abort();
}
void st_gemm_packed(int isa, int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *packed_b, float beta, const float *bias, float *c, long ldc, int threads) {
    (void)isa; (void)trans_a; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)packed_b;
    (void)beta; (void)bias; (void)c; (void)ldc; (void)threads; abort();
}
void st_gemm(int isa, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, const float *bias, float *c, long ldc, int threads) {
    (void)isa; (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)bias; (void)c; (void)ldc; (void)threads; abort();
}
void st_gemm_adding_a_rows(int isa, long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                           long ldb, float beta, float *c, long ldc, float *sums, const long *sum_rows, int threads) {
    (void)isa; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c;
    (void)ldc; (void)sums; (void)sum_rows; (void)threads; abort();
}

#endif
