// CBLAS as shipped by OpenBLAS (Debian: libopenblas-dev). openblas_set_num_threads and
// openblas_get_num_threads come from the same header.
#include <cblas.h>
