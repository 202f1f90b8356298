// The optimizers' update loops, written once over the lanes of Lanes16.h or Lanes8.h (include one
// first): the twins of the Swift loops in SeqTensor/Optimizers, the same operations in the same
// order, so every instruction set updates the weights to the same bits.
#ifndef SEQTOOL_CKERNELS_UPDATES_H
#define SEQTOOL_CKERNELS_UPDATES_H

#if defined(__x86_64__)

//   w *= decay;  g = grad + l2 w;  m += (1 - b1)(g - m);  v = b2 v + (1 - b2) g g;
//   w -= step_size m / (sqrt(v) / correction2_sqrt + eps)
TARGET static void KERNEL(adam_update)(long count, float *w, const float *grad, float *m, float *v,
                                       const st_adam_constants *k) {
    vf decay = vsplat(k->decay), l2 = vsplat(k->l2), keep1 = vsplat(1 - k->beta1), beta2 = vsplat(k->beta2);
    vf keep2 = vsplat(1 - k->beta2), step_size = vsplat(k->step_size);
    vf correction2_sqrt = vsplat(k->correction2_sqrt), epsilon = vsplat(k->epsilon);
    for (long j = 0; j < count; j += LANES) {
        long n = count - j;
        vf wv = vmul(vload(w + j, n), decay);
        vf g = vadd(vload(grad + j, n), vmul(l2, wv));
        vf mv = vload(m + j, n);
        mv = vadd(mv, vmul(keep1, vsub(g, mv)));
        vf vv = vadd(vmul(beta2, vload(v + j, n)), vmul(vmul(keep2, g), g));
        vf denominator = vadd(vdiv(vsqrt(vv), correction2_sqrt), epsilon);
        vstore(m + j, n, mv);
        vstore(v + j, n, vv);
        vstore(w + j, n, vsub(wv, vdiv(vmul(step_size, mv), denominator)));
    }
}

#endif
#endif
