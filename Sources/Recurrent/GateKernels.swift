import CKernels
import SeqTensor

/// The fused per-step gate kernels of the three cells, forward and backward side by side.
///
/// Each works on one time step of a batch: `rows` sequences of `hidden` units, gate blocks laid
/// out as PyTorch stacks them (LSTM i, f, g, o; GRU r, z, n). Rows listed as finished (past their
/// sequence's length) keep their state and get no gradient through the gates.
enum GateKernels {
    // MARK: SIMD helpers over a row of `n` floats, eight lanes at a time with a padded tail.

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ j: Int, _ n: Int) -> SIMD8<Float> {
        if j + 8 <= n { return UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>(repeating: 0)
        for k in 0..<(n - j) { v[k] = p[j + k] }
        return v
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ j: Int, _ n: Int) {
        if j + 8 <= n {
            UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: SIMD8<Float>.self)
        } else {
            for k in 0..<(n - j) { p[j + k] = v[k] }
        }
    }

    // MARK: LSTM

    /// gates (rows, 4H) holds the pre-activations [i f g o] and is overwritten by the activated
    /// gates; c' = f*c + i*g, h' = o*tanh(c'). With AVX-512 the 16-lane twin in CKernels runs
    /// (bit-identical results).
    static func lstmForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                            rows: Int, hidden: Int) {
        if GemmBackend.current == .native { st_lstm_forward(gates, cPrev, c, h, rows, hidden); return }
        lstmForwardPortable(gates: gates, cPrev: cPrev, c: c, h: h, rows: rows, hidden: hidden)
    }

    static func lstmForwardPortable(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                                    c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                                    rows: Int, hidden: Int) {
        let g4 = 4 * hidden
        for b in 0..<rows {
            let gr = gates + b * g4, o = b * hidden
            var j = 0
            while j < hidden {
                let i = VectorMath.sigmoid(load(gr, j, hidden))
                let f = VectorMath.sigmoid(load(gr + hidden, j, hidden))
                let g = VectorMath.tanh(load(gr + 2 * hidden, j, hidden))
                let og = VectorMath.sigmoid(load(gr + 3 * hidden, j, hidden))
                let cNew = f * load(cPrev + o, j, hidden) + i * g
                store(i, gr, j, hidden)
                store(f, gr + hidden, j, hidden)
                store(g, gr + 2 * hidden, j, hidden)
                store(og, gr + 3 * hidden, j, hidden)
                store(cNew, c + o, j, hidden)
                store(og * VectorMath.tanh(cNew), h + o, j, hidden)
                j += 8
            }
        }
    }

    /// From dh, dc (rows, H) at this step's output and the saved activated gates, writes the
    /// pre-activation gate gradients dGates (rows, 4H) and dcPrev = dc_total * f:
    ///     dc_total = dc + dh o (1 - tanh^2 c)
    ///     di = dc_total g i(1-i), df = dc_total cPrev f(1-f), dg = dc_total i (1-g^2), do = dh tanh(c) o(1-o)
    static func lstmBackward(gates: UnsafePointer<Float>, c: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                             dh: UnsafePointer<Float>, dc: UnsafePointer<Float>,
                             dGates: UnsafeMutablePointer<Float>, dcPrev: UnsafeMutablePointer<Float>,
                             rows: Int, hidden: Int) {
        if GemmBackend.current == .native {
            st_lstm_backward(gates, c, cPrev, dh, dc, dGates, dcPrev, rows, hidden)
            return
        }
        lstmBackwardPortable(gates: gates, c: c, cPrev: cPrev, dh: dh, dc: dc, dGates: dGates, dcPrev: dcPrev,
                             rows: rows, hidden: hidden)
    }

    static func lstmBackwardPortable(gates: UnsafePointer<Float>, c: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                     dh: UnsafePointer<Float>, dc: UnsafePointer<Float>,
                                     dGates: UnsafeMutablePointer<Float>, dcPrev: UnsafeMutablePointer<Float>,
                                     rows: Int, hidden: Int) {
        let g4 = 4 * hidden
        for b in 0..<rows {
            let gr = gates + b * g4, dg = dGates + b * g4, o = b * hidden
            var j = 0
            while j < hidden {
                let i = load(gr, j, hidden), f = load(gr + hidden, j, hidden)
                let g = load(gr + 2 * hidden, j, hidden), og = load(gr + 3 * hidden, j, hidden)
                let tc = VectorMath.tanh(load(c + o, j, hidden))
                let dhv = load(dh + o, j, hidden)
                let dct = load(dc + o, j, hidden) + dhv * og * (1 - tc * tc)
                store(dct * g * i * (1 - i), dg, j, hidden)
                store(dct * load(cPrev + o, j, hidden) * f * (1 - f), dg + hidden, j, hidden)
                store(dct * i * (1 - g * g), dg + 2 * hidden, j, hidden)
                store(dhv * tc * og * (1 - og), dg + 3 * hidden, j, hidden)
                store(dct * f, dcPrev + o, j, hidden)
                j += 8
            }
        }
    }

    // MARK: GRU

    /// gx (rows, 3H): W_ih x + b_ih; gh (rows, 3H): W_hh h (no bias). Writes the activated
    /// [r z n] into gx, stores hn = W_hn h + b_hn in gh's n block (backward needs it), and
    ///     r = sigmoid(gx_r + gh_r + b_hr), z = sigmoid(gx_z + gh_z + b_hz),
    ///     n = tanh(gx_n + r * hn),  h' = (1 - z) n + z h
    /// Without `saveGates` (inference) gx and gh are only read. With AVX-512 the 16-lane twin
    /// in CKernels runs (bit-identical results).
    static func gruForward(gx: UnsafeMutablePointer<Float>, gh: UnsafeMutablePointer<Float>,
                           biasHH: UnsafePointer<Float>?, hPrev: UnsafePointer<Float>,
                           h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int, saveGates: Bool = true) {
        if GemmBackend.current == .native {
            st_gru_forward(gx, gh, biasHH, hPrev, h, rows, hidden, saveGates ? 1 : 0)
            return
        }
        gruForwardPortable(gx: gx, gh: gh, biasHH: biasHH, hPrev: hPrev, h: h, rows: rows, hidden: hidden,
                           saveGates: saveGates)
    }

    static func gruForwardPortable(gx: UnsafeMutablePointer<Float>, gh: UnsafeMutablePointer<Float>,
                                   biasHH: UnsafePointer<Float>?, hPrev: UnsafePointer<Float>,
                                   h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int, saveGates: Bool = true) {
        let g3 = 3 * hidden
        for b in 0..<rows {
            let xr = gx + b * g3, hr = gh + b * g3, o = b * hidden
            var j = 0
            while j < hidden {
                var br = SIMD8<Float>(repeating: 0), bz = br, bn = br
                if let biasHH {
                    br = load(biasHH, j, hidden)
                    bz = load(biasHH + hidden, j, hidden)
                    bn = load(biasHH + 2 * hidden, j, hidden)
                }
                let r = VectorMath.sigmoid(load(xr, j, hidden) + load(hr, j, hidden) + br)
                let z = VectorMath.sigmoid(load(xr + hidden, j, hidden) + load(hr + hidden, j, hidden) + bz)
                let hn = load(hr + 2 * hidden, j, hidden) + bn
                let n = VectorMath.tanh(load(xr + 2 * hidden, j, hidden) + r * hn)
                if saveGates {
                    store(r, xr, j, hidden)
                    store(z, xr + hidden, j, hidden)
                    store(n, xr + 2 * hidden, j, hidden)
                    store(hn, hr + 2 * hidden, j, hidden)
                }
                store((1 - z) * n + z * load(hPrev + o, j, hidden), h + o, j, hidden)
                j += 8
            }
        }
    }

    /// GRU step backward. dGx (rows, 3H) gets the input-side pre-activation gradients
    /// [dr dz dn]; dGh the hidden-side ones [dr dz dn*r]; dhPrev gets the direct path dh*z
    /// (the caller adds dGh W_hh):
    ///     dn = dh (1-z)(1-n^2), dz = dh (hPrev - n) z(1-z), dr = dn hn r(1-r)
    static func gruBackward(gates: UnsafePointer<Float>, gh: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                            dh: UnsafePointer<Float>, dGx: UnsafeMutablePointer<Float>, dGh: UnsafeMutablePointer<Float>,
                            dhPrev: UnsafeMutablePointer<Float>, rows: Int, hidden: Int) {
        let g3 = 3 * hidden
        for b in 0..<rows {
            let gr = gates + b * g3, hr = gh + b * g3, dx = dGx + b * g3, dhh = dGh + b * g3, o = b * hidden
            var j = 0
            while j < hidden {
                let r = load(gr, j, hidden), z = load(gr + hidden, j, hidden), n = load(gr + 2 * hidden, j, hidden)
                let hn = load(hr + 2 * hidden, j, hidden)
                let dhv = load(dh + o, j, hidden), hp = load(hPrev + o, j, hidden)
                let dn = dhv * (1 - z) * (1 - n * n)
                let dz = dhv * (hp - n) * z * (1 - z)
                let dr = dn * hn * r * (1 - r)
                store(dr, dx, j, hidden)
                store(dz, dx + hidden, j, hidden)
                store(dn, dx + 2 * hidden, j, hidden)
                store(dr, dhh, j, hidden)
                store(dz, dhh + hidden, j, hidden)
                store(dn * r, dhh + 2 * hidden, j, hidden)
                store(dhv * z, dhPrev + o, j, hidden)
                j += 8
            }
        }
    }

    // MARK: vanilla RNN

    /// pre (rows, H) holds W_ih x + b + W_hh h; h' = tanh(pre) or relu(pre).
    static func rnnForward(pre: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int, relu: Bool) {
        let n = rows * hidden
        if relu {
            for k in 0..<n { h[k] = max(pre[k], 0) }
        } else if GemmBackend.current == .native {
            st_tanh(pre, h, n)
        } else {
            VectorMath.map(pre, h, count: n) { VectorMath.tanh($0) }
        }
    }

    /// dPre = dh * act'(pre), from the output h: tanh' = 1 - h^2, relu' = [h > 0].
    static func rnnBackward(h: UnsafePointer<Float>, dh: UnsafePointer<Float>, dPre: UnsafeMutablePointer<Float>,
                            rows: Int, hidden: Int, relu: Bool) {
        for k in 0..<(rows * hidden) {
            dPre[k] = relu ? (h[k] > 0 ? dh[k] : 0) : dh[k] * (1 - h[k] * h[k])
        }
    }
}
