// OpenMPI's C API for Swift. MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE and friends are
// macros that cast the address of a library global, which Swift cannot import: the accessors
// below hand them over as values.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

static inline MPI_Comm st_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype st_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype st_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype st_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op st_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op st_mpi_max(void) { return MPI_MAX; }
static inline void *st_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int st_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int st_mpi_success(void) { return MPI_SUCCESS; }
