/// Elementwise and row-wise activations as differentiable operations. Each backward uses the
/// saved output where the derivative is a function of it (sigmoid, tanh, softmax).
extension Variable {
    /// 1 / (1 + e^-x); backward dx = dy * y (1 - y).
    public func sigmoid() -> Variable {
        var y = Tensor(uninitialized: shape)
        VectorMath.sigmoid(value.pointer, into: y.mutablePointer, count: value.count)
        let yv = y
        return Graph.output(y, inputs: [self]) { g in
            let d = self.gradPointer(), gp = g.pointer, yp = yv.pointer
            for i in 0..<g.count { d[i] += gp[i] * yp[i] * (1 - yp[i]) }
        }
    }

    /// tanh x; backward dx = dy (1 - y^2).
    public func tanh() -> Variable {
        var y = Tensor(uninitialized: shape)
        VectorMath.tanh(value.pointer, into: y.mutablePointer, count: value.count)
        let yv = y
        return Graph.output(y, inputs: [self]) { g in
            let d = self.gradPointer(), gp = g.pointer, yp = yv.pointer
            for i in 0..<g.count { d[i] += gp[i] * (1 - yp[i] * yp[i]) }
        }
    }

    /// max(x, 0); backward passes dy where x > 0.
    public func relu() -> Variable { leakyRelu(negativeSlope: 0) }

    /// x for x > 0, slope * x otherwise (PyTorch's default slope is 0.01).
    public func leakyRelu(negativeSlope slope: Float = 0.01) -> Variable {
        var y = Tensor(uninitialized: shape)
        let xp = value.pointer, yp = y.mutablePointer
        for i in 0..<value.count { yp[i] = xp[i] > 0 ? xp[i] : slope * xp[i] }
        let xv = value
        return Graph.output(y, inputs: [self]) { g in
            let d = self.gradPointer(), gp = g.pointer, xp = xv.pointer
            for i in 0..<g.count { d[i] += xp[i] > 0 ? gp[i] : slope * gp[i] }
        }
    }

    /// Softmax over the last axis; backward dx = y (dy - sum(dy y)).
    public func softmax() -> Variable {
        let columns = shape.last ?? 1, rows = value.count / max(columns, 1)
        var y = Tensor(uninitialized: shape)
        Kernels.softmaxRows(value.pointer, y.mutablePointer, rows: rows, columns: columns)
        let yv = y
        return Graph.output(y, inputs: [self]) { g in
            let d = self.gradPointer(), gp = g.pointer, yp = yv.pointer
            for r in 0..<rows {
                let o = r * columns
                var dot: Float = 0
                for j in 0..<columns { dot += gp[o + j] * yp[o + j] }
                for j in 0..<columns { d[o + j] += yp[o + j] * (gp[o + j] - dot) }
            }
        }
    }

    /// log softmax over the last axis: x - logsumexp(x); backward dx = dy - softmax(x) sum(dy).
    public func logSoftmax() -> Variable {
        let columns = shape.last ?? 1, rows = value.count / max(columns, 1)
        var y = Tensor(uninitialized: shape)
        let xp = value.pointer, yp = y.mutablePointer
        for r in 0..<rows {
            let lse = Kernels.logSumExp(xp + r * columns, columns: columns, scratch: yp + r * columns)
            for j in 0..<columns { yp[r * columns + j] = xp[r * columns + j] - lse }
        }
        let yv = y
        return Graph.output(y, inputs: [self]) { g in
            let d = self.gradPointer(), gp = g.pointer, yp = yv.pointer
            for r in 0..<rows {
                let o = r * columns
                var s: Float = 0
                for j in 0..<columns { s += gp[o + j] }
                for j in 0..<columns { d[o + j] += gp[o + j] - VectorMath.exp(yp[o + j]) * s }
            }
        }
    }
}
