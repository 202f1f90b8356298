// The generic vector kernels (gate kernels, elementwise maps, optimizer updates) with 16 lanes of
// AVX-512.
#include "Lanes16.h"
#include "VectorKernels.h"
