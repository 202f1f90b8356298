// The FMA probe's loop (FMAProbe.c), written once over the lanes of Lanes16.h or Lanes8.h
// (include one first): 12 independent chains of vector FMAs,
//
//     acc_j = acc_j * a + b   (j = 0..<12, every lane)
//
// enough chains to cover the FMA latency (4 cycles) on two FMA ports (Zen and Intel cores have
// two), so the loop is limited by the FMA throughput alone.
#ifndef SEQTOOL_CKERNELS_FMA_CHAINS_H
#define SEQTOOL_CKERNELS_FMA_CHAINS_H

#if defined(__x86_64__)
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// `rounds` x 4 x 12 FMAs on every lane; the sum of the accumulators' first lanes, for the caller
// to keep (so that the compiler cannot drop the loop). a and b are arguments, not constants, which
// the compiler would fold the chains into.
TARGET static float KERNEL(fma_chains)(long rounds, float a_value, float b_value) {
    const vf a = vsplat(a_value), b = vsplat(b_value);
#define INIT(j) vf acc##j = vsplat(a_value + (float)(j) * 1e-3f);
#define STEP(j) acc##j = vfma(acc##j, a, b);
#define SUM(j) sum = vadd(sum, acc##j);
    CHAINS(INIT)
    for (long r = 0; r < rounds; r++) { CHAINS(STEP) CHAINS(STEP) CHAINS(STEP) CHAINS(STEP) }
    vf sum = vzero();
    CHAINS(SUM)
#undef INIT
#undef STEP
#undef SUM
    float lanes[LANES];
    vstore(lanes, LANES, sum);
    return lanes[0];
}

#undef CHAINS
#endif
#endif
