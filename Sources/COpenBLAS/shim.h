// CBLAS as shipped by OpenBLAS (Debian: libopenblas-dev). openblas_set_num_threads and
// openblas_get_num_threads come from the same header.
#include <cblas.h>

// LAPACK, which OpenBLAS bundles: the symmetric eigensolver of the closed-form fits (ridge
// regression's leave-one-out shortcut). Fortran interface: column-major, every argument by
// pointer, the lengths of the character arguments last.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_length, size_t uplo_length);
