// The recurrent cells' per-step gate kernels, written once over the lanes of Lanes16.h or
// Lanes8.h (include one and VectorMath.h first): the twins of LSTMKernels.forwardPortable and
// backwardPortable, GRUKernels.forwardPortable and backwardPortable in Swift
// (Recurrent/Cells/LSTM.swift, GRU.swift), which run 8 lanes compiled for the baseline of the
// target. Same operations in the same order, no contraction: bit-identical results, which
// GateKernelTwinsTests checks on every instruction set the CPU runs.
#ifndef SEQTOOL_CKERNELS_GATE_KERNELS_H
#define SEQTOOL_CKERNELS_GATE_KERNELS_H

#if defined(__x86_64__)

// Lanes j..j+LANES-1 of a row of `hidden` floats, the lanes past its end left out.
#define LOAD(p) vload((p) + j, hidden - j)
#define STORE(p, x) vstore((p) + j, hidden - j, (x))

//   i = sigmoid(g_i), f = sigmoid(g_f), g = tanh(g_g), o = sigmoid(g_o)
//   c' = f c + i g, h' = o tanh(c'); the activated gates replace the pre-activations.
// A row in two passes, c' first and then h' from the c' and o just stored (still in L1): tanh(c')
// waits on the four gates' exp chains, and in one pass that serial path is longer than the
// processor's window of instructions reaches, so the next lanes' gates could not start under it
// (32 rows of 256 on Zen 4: 36 us on AVX2 and 21 on AVX-512 in one pass, 33 and 18 in two).
TARGET static void KERNEL(lstm_forward)(float *gates, const float *c_prev, float *c, float *h, long rows,
                                        long hidden) {
    for (long b = 0; b < rows; b++) {
        float *gi = gates + b * 4 * hidden, *gf = gi + hidden, *gg = gf + hidden, *go = gg + hidden;
        const float *cp = c_prev + b * hidden;
        float *cn = c + b * hidden, *hn = h + b * hidden;
        for (long j = 0; j < hidden; j += LANES) {
            vf i = vsigmoid(LOAD(gi)), f = vsigmoid(LOAD(gf)), g = vtanh(LOAD(gg)), o = vsigmoid(LOAD(go));
            STORE(gi, i); STORE(gf, f); STORE(gg, g); STORE(go, o);
            STORE(cn, vadd(vmul(f, LOAD(cp)), vmul(i, g)));
        }
        for (long j = 0; j < hidden; j += LANES) STORE(hn, vmul(LOAD(go), vtanh(LOAD(cn))));
    }
}

//   dc_total = dc' + dh' o (1 - tanh^2 c'),  di = dc_total g i (1 - i),  df = dc_total c f (1 - f),
//   dg = dc_total i (1 - g^2),  do = dh' tanh(c') o (1 - o),  dc = dc_total f
TARGET static void KERNEL(lstm_backward)(const float *gates, const float *c, const float *c_prev, const float *dh,
                                         const float *dc, float *d_gates, float *dc_prev, long rows, long hidden) {
    for (long b = 0; b < rows; b++) {
        const float *gi = gates + b * 4 * hidden, *gf = gi + hidden, *gg = gf + hidden, *go = gg + hidden;
        float *di = d_gates + b * 4 * hidden, *df = di + hidden, *dg = df + hidden, *d_o = dg + hidden;
        long o = b * hidden;
        for (long j = 0; j < hidden; j += LANES) {
            vf i = LOAD(gi), f = LOAD(gf), g = LOAD(gg), og = LOAD(go);
            vf tc = vtanh(LOAD(c + o));
            vf dhv = LOAD(dh + o);
            vf one = vsplat(1);
            vf dct = vadd(LOAD(dc + o), vmul(vmul(dhv, og), vsub(one, vmul(tc, tc))));
            STORE(di, vmul(vmul(vmul(dct, g), i), vsub(one, i)));
            STORE(df, vmul(vmul(vmul(dct, LOAD(c_prev + o)), f), vsub(one, f)));
            STORE(dg, vmul(vmul(dct, i), vsub(one, vmul(g, g))));
            STORE(d_o, vmul(vmul(vmul(dhv, tc), og), vsub(one, og)));
            STORE(dc_prev + o, vmul(dct, f));
        }
    }
}

//   r = sigmoid(gx_r + gh_r + b_hr), z = sigmoid(gx_z + gh_z + b_hz),
//   hn = gh_n + b_hn, n = tanh(gx_n + r hn), h' = (1 - z) n + z h
// With save_gates gx becomes [r z n] and gh's n block hn; without (inference) both are only read.
TARGET static void KERNEL(gru_forward)(float *gx, float *gh, const float *bias_hh, const float *h_prev, float *h,
                                       long rows, long hidden, int save_gates) {
    for (long b = 0; b < rows; b++) {
        float *xr = gx + b * 3 * hidden, *xz = xr + hidden, *xn = xz + hidden;
        float *hr = gh + b * 3 * hidden, *hz = hr + hidden, *hh = hz + hidden;
        const float *hp = h_prev + b * hidden;
        float *out = h + b * hidden;
        for (long j = 0; j < hidden; j += LANES) {
            vf br = vzero(), bz = br, bn = br;
            if (bias_hh) {
                br = LOAD(bias_hh);
                bz = LOAD(bias_hh + hidden);
                bn = LOAD(bias_hh + 2 * hidden);
            }
            vf r = vsigmoid(vadd(vadd(LOAD(xr), LOAD(hr)), br));
            vf z = vsigmoid(vadd(vadd(LOAD(xz), LOAD(hz)), bz));
            vf hn = vadd(LOAD(hh), bn);
            vf n = vtanh(vadd(LOAD(xn), vmul(r, hn)));
            if (save_gates) { STORE(xr, r); STORE(xz, z); STORE(xn, n); STORE(hh, hn); }
            STORE(out, vadd(vmul(vsub(vsplat(1), z), n), vmul(z, LOAD(hp))));
        }
    }
}

//   dn = dh' (1 - z)(1 - n^2),  dz = dh' (h - n) z (1 - z),  dr = dn hn r (1 - r)
//   input side [dr dz dn], recurrent side [dr dz dn*r], dh = dh' z (the W_hh term is added after)
TARGET static void KERNEL(gru_backward)(const float *gates, const float *gh, const float *h_prev, const float *dh,
                                        float *d_gates, float *d_gh, float *dh_prev, long rows, long hidden) {
    for (long b = 0; b < rows; b++) {
        const float *gr = gates + b * 3 * hidden, *gz = gr + hidden, *gn = gz + hidden;
        const float *hn_saved = gh + b * 3 * hidden + 2 * hidden;
        float *dxr = d_gates + b * 3 * hidden, *dxz = dxr + hidden, *dxn = dxz + hidden;
        float *dhr = d_gh + b * 3 * hidden, *dhz = dhr + hidden, *dhn = dhz + hidden;
        long o = b * hidden;
        for (long j = 0; j < hidden; j += LANES) {
            vf r = LOAD(gr), z = LOAD(gz), n = LOAD(gn), hn = LOAD(hn_saved);
            vf dhv = LOAD(dh + o), hp = LOAD(h_prev + o);
            vf one = vsplat(1);
            vf dn = vmul(vmul(dhv, vsub(one, z)), vsub(one, vmul(n, n)));
            vf dz = vmul(vmul(vmul(dhv, vsub(hp, n)), z), vsub(one, z));
            vf dr = vmul(vmul(vmul(dn, hn), r), vsub(one, r));
            STORE(dxr, dr); STORE(dxz, dz); STORE(dxn, dn);
            STORE(dhr, dr); STORE(dhz, dz); STORE(dhn, vmul(dn, r));
            STORE(dh_prev + o, vmul(dhv, z));
        }
    }
}

#undef LOAD
#undef STORE

#endif
#endif
