import SeqTensor

/// MiniRocket's convolutions and pooling over one series at a time, from sums shared by all 84
/// kernels (the paper's section 4.3): with every weight -1 or 2 = -1 + 3, kernel (a, b, c) at
/// dilation d is
///
///     C_t = α_t + γ_{t+(a-4)d} + γ_{t+(b-4)d} + γ_{t+(c-4)d},
///     α_t = Σ_{i=0..8} -x_{t+(i-4)d},   γ_t = 3 x_t,
///
/// so one α per (series, channel, dilation) and three shifted reads of 3x give every kernel: 3
/// additions a step instead of 9 multiply-adds. A kernel over several channels sums their C. The
/// series is held padded with zeros on each side (4 d_max, or the capacity when that is less: a
/// read further out than the series is long finds zeros either way, so offsets are clamped to
/// the padding), so no read needs a bounds check; each series is convolved and pooled over its
/// own steps only, whatever the batch pads it to.
///
/// One instance is one thread's workspace, allocated once for the longest series and reused.
final class MiniRocketConvolution {
    let channels: Int, capacity: Int, padding: Int
    /// Floats per channel row of `negated` and `tripled`: the padding, the series, the padding and
    /// one vector of slack.
    let rowStride: Int, sumStride: Int
    /// -x and 3x per channel, at `padding` into each row; zeros around.
    let negated: UnsafeMutablePointer<Float>, tripled: UnsafeMutablePointer<Float>
    /// α per channel for the current dilation.
    let alpha: UnsafeMutablePointer<Float>
    /// One convolution's output C (then -inf past the steps pooled, for the vector loop).
    let output: UnsafeMutablePointer<Float>
    /// Steps of the series loaded.
    private(set) var length = 0

    /// A workspace for series of up to `capacity` steps of `channels` channels, dilations up to `maxDilation`.
    init(channels: Int, capacity: Int, maxDilation: Int) {
        (self.channels, self.capacity) = (channels, max(capacity, 1))
        padding = min(4 * maxDilation, self.capacity + 8)
        rowStride = self.capacity + 2 * padding + 8
        sumStride = self.capacity + 8
        negated = .allocate(capacity: channels * rowStride)
        tripled = .allocate(capacity: channels * rowStride)
        negated.initialize(repeating: 0, count: channels * rowStride)
        tripled.initialize(repeating: 0, count: channels * rowStride)
        alpha = .allocate(capacity: channels * sumStride)
        alpha.initialize(repeating: 0, count: channels * sumStride)
        output = .allocate(capacity: sumStride)
        output.initialize(repeating: 0, count: sumStride)
    }

    deinit {
        for p in [negated, tripled, alpha, output] { p.deallocate() }
    }

    /// Loads a series of `length` steps: channel c's values at `x + c * stride`.
    func load(_ x: UnsafePointer<Float>, stride: Int, length n: Int) {
        precondition(n >= 1 && n <= capacity, "MiniRocketConvolution: \(n) steps, capacity \(capacity)")
        for c in 0..<channels {
            let a = negated + c * rowStride + padding, g = tripled + c * rowStride + padding, row = x + c * stride
            for t in 0..<n {
                a[t] = -row[t]
                g[t] = 3 * row[t]
            }
            // Zeros after this series' end, where a longer series loaded before left values.
            (a + n).update(repeating: 0, count: padding + 8)
            (g + n).update(repeating: 0, count: padding + 8)
        }
        length = n
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// The offset of tap i (0...8) at dilation d, clamped to the padding.
    @inline(__always)
    func offset(_ i: Int, _ d: Int) -> Int { max(-padding, min(padding, (i - 4) * d)) }

    /// α of every channel at dilation `d`, summed in the reference implementation's order (the
    /// centre, then -4d ... -d, then +d ... +4d).
    func prepare(dilation d: Int) {
        let n = length
        let (m4, m3, m2, m1) = (offset(0, d), offset(1, d), offset(2, d), offset(3, d))
        let (p1, p2, p3, p4) = (offset(5, d), offset(6, d), offset(7, d), offset(8, d))
        for c in 0..<channels {
            let a = UnsafePointer(negated + c * rowStride + padding), out = alpha + c * sumStride
            var t = 0
            while t < n {
                let p = a + t
                var s = Self.load(p)
                s += Self.load(p + m4)
                s += Self.load(p + m3)
                s += Self.load(p + m2)
                s += Self.load(p + m1)
                s += Self.load(p + p1)
                s += Self.load(p + p2)
                s += Self.load(p + p3)
                s += Self.load(p + p4)
                Self.store(s, out + t)
                t += 8
            }
        }
    }

    /// C of `kernel` (the positions of its 2s) at dilation `d` (as prepared), summed over
    /// `channels` in their order, into `output`.
    func convolve(kernel: (Int, Int, Int), dilation d: Int, channels combination: UnsafeBufferPointer<Int32>) {
        let n = length
        let (oa, ob, oc) = (offset(kernel.0, d), offset(kernel.1, d), offset(kernel.2, d))
        for (k, channel) in combination.enumerated() {
            let c = Int(channel)
            let g = UnsafePointer(tripled + c * rowStride + padding), a = UnsafePointer(alpha + c * sumStride)
            var t = 0
            while t < n {
                var s = Self.load(a + t) + Self.load(g + t + oa)
                s += Self.load(g + t + ob)
                s += Self.load(g + t + oc)
                Self.store(k == 0 ? s : Self.load(output + t) + s, output + t)
                t += 8
            }
        }
    }

    /// `convolve` and `pool` in one pass over steps lo..<hi, for the transform: each vector of C is
    /// counted against the first four biases while it is in registers (and kept in `output` only
    /// when there are more biases, which `pool` then counts).
    func convolveAndPool(
        kernel: (Int, Int, Int), dilation d: Int, channels combination: UnsafeBufferPointer<Int32>,
        from lo: Int, to hi: Int, biases: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let (oa, ob, oc) = (offset(kernel.0, d), offset(kernel.1, d), offset(kernel.2, d))
        let single = combination.count == 1, keeps = count > 4
        let g0 = UnsafePointer(tripled + Int(combination[0]) * rowStride + padding)
        let a0 = UnsafePointer(alpha + Int(combination[0]) * sumStride)
        // C at steps t..<t+8, summed over the channels in their order.
        @inline(__always) func convolution(_ t: Int) -> SIMD8<Float> {
            var v = Self.load(a0 + t) + Self.load(g0 + t + oa)
            v += Self.load(g0 + t + ob)
            v += Self.load(g0 + t + oc)
            if single { return v }
            for channel in combination.dropFirst() {
                let g = UnsafePointer(tripled + Int(channel) * rowStride + padding)
                var s = Self.load(alpha + Int(channel) * sumStride + t) + Self.load(g + t + oa)
                s += Self.load(g + t + ob)
                s += Self.load(g + t + oc)
                v += s
            }
            return v
        }
        // Biases beyond the count are +inf, which nothing exceeds.
        @inline(__always) func bias(_ f: Int) -> SIMD8<Float> {
            SIMD8(repeating: f < count ? biases[f] + 0 : .infinity)
        }
        let (b0, b1, b2, b3) = (bias(0), bias(1), bias(2), bias(3))
        var (n0, n1, n2, n3) = (SIMD8<UInt32>(), SIMD8<UInt32>(), SIMD8<UInt32>(), SIMD8<UInt32>())
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        var t = lo
        while t < hi {
            let v = convolution(t)
            // The last vector counts only its lanes before hi: lane - (hi - t) < 0.
            let valid =
                hi - t >= 8
                ? SIMD8<UInt32>(repeating: 1)
                : unsafeBitCast(lanes &- SIMD8(repeating: Int32(hi - t)), to: SIMD8<UInt32>.self) &>> 31
            n0 &+= Self.signs(b0 - v) & valid
            n1 &+= Self.signs(b1 - v) & valid
            n2 &+= Self.signs(b2 - v) & valid
            n3 &+= Self.signs(b3 - v) & valid
            if keeps { Self.store(v, output + t) }
            t += 8
        }
        let steps = Double(hi - lo)
        out[0] = Float(Double(n0.wrappedSum()) / steps)
        if count > 1 { out[1] = Float(Double(n1.wrappedSum()) / steps) }
        if count > 2 { out[2] = Float(Double(n2.wrappedSum()) / steps) }
        if count > 3 { out[3] = Float(Double(n3.wrappedSum()) / steps) }
        if keeps { pool(from: lo, to: hi, biases: biases + 4, count: count - 4, into: out + 4) }
    }

    /// 1 in the lanes whose sign bit is set, 0 elsewhere.
    @inline(__always)
    static func signs(_ v: SIMD8<Float>) -> SIMD8<UInt32> { unsafeBitCast(v, to: SIMD8<UInt32>.self) &>> 31 }

    /// PPV of `output` over steps lo..<hi for `count` biases: out[f] = #{t : C_t > b_f} / (hi - lo).
    ///
    /// C_t > b exactly when b - C_t < 0 (distinct floats differ by a nonzero amount; a bias of -0
    /// is taken as +0), so the count is the sum of sign bits: no compare-and-select per lane. Steps
    /// from hi to the end of the last vector are set to -inf, which never counts.
    func pool(from lo: Int, to hi: Int, biases: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>)
    {
        (output + hi).update(repeating: -.infinity, count: 8)
        let steps = Double(hi - lo), end = UnsafePointer(output + hi)
        // b + 0 turns a bias of -0 into +0.
        @inline(__always) func bias(_ f: Int) -> SIMD8<Float> { SIMD8(repeating: biases[f] + 0) }
        var f = 0
        while f + 4 <= count {
            let (b0, b1, b2, b3) = (bias(f), bias(f + 1), bias(f + 2), bias(f + 3))
            var (n0, n1, n2, n3) = (SIMD8<UInt32>(), SIMD8<UInt32>(), SIMD8<UInt32>(), SIMD8<UInt32>())
            var p = UnsafePointer(output + lo)
            while p < end {
                let v = Self.load(p)
                n0 &+= Self.signs(b0 - v)
                n1 &+= Self.signs(b1 - v)
                n2 &+= Self.signs(b2 - v)
                n3 &+= Self.signs(b3 - v)
                p += 8
            }
            out[f] = Float(Double(n0.wrappedSum()) / steps)
            out[f + 1] = Float(Double(n1.wrappedSum()) / steps)
            out[f + 2] = Float(Double(n2.wrappedSum()) / steps)
            out[f + 3] = Float(Double(n3.wrappedSum()) / steps)
            f += 4
        }
        while f < count {
            let b = bias(f)
            var positive = SIMD8<UInt32>()
            var p = UnsafePointer(output + lo)
            while p < end {
                positive &+= Self.signs(b - Self.load(p))
                p += 8
            }
            out[f] = Float(Double(positive.wrappedSum()) / steps)
            f += 1
        }
    }
}
