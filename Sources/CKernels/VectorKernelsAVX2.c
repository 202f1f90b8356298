// The generic vector kernels (gate kernels, elementwise maps, optimizer updates) with 8 lanes of
// AVX2 and FMA, for x86-64 machines without AVX-512.
#include "Lanes8.h"
#include "VectorKernels.h"
