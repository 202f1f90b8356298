// Software prefetch for the recurrent loops, which know what the next step will read.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

void st_prefetch(const void *start, long bytes) {
#if defined(__x86_64__)
    const char *p = start;
    for (long offset = 0; offset < bytes; offset += 64) _mm_prefetch(p + offset, _MM_HINT_T1);
#else
    (void)start; (void)bytes;
#endif
}
