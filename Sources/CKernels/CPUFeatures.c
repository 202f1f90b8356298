// What this CPU and OS can run, asked once (the compiler's cpuid wrapper also checks that the OS
// saves the wider registers).
#include "CKernels.h"

int st_cpu_supports(int feature) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    switch (feature) {
    case ST_CPU_AVX2_FMA: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ST_CPU_AVX512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    default: return 0;
    }
#else
    (void)feature;
    return 0;
#endif
}
