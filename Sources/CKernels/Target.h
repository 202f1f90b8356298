// Functions compiled for AVX-512 whatever the target's baseline: callers check
// `st_gemm_available()` first (the `gemm` wrapper in Swift does).
#ifndef SEQTOOL_CKERNELS_TARGET_H
#define SEQTOOL_CKERNELS_TARGET_H
#define AVX512 __attribute__((target("avx512f,avx512vl,fma")))
#endif
