import Foundation

/// A dense Float32 tensor: a shape and contiguous row-major values with copy-on-write.
///
/// `Tensor` is a value: copies share storage until one of them is written. Shapes are plain
/// `[Int]`; a scalar has shape `[]` and one value.
public struct Tensor {
    /// The extent of each axis, outermost first; `[]` for a scalar.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Number of elements, the product of `shape`.
    public var count: Int { storage.count }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        storage = TensorStorage(count: n)
        storage.pointer.initialize(repeating: 0, count: n)
    }

    /// A tensor with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        storage = TensorStorage(count: n)
        storage.pointer.initialize(repeating: value, count: n)
    }

    /// A tensor holding `values` in row-major order; `values.count` must equal the shape's size.
    public init(_ values: [Float], shape: [Int]) {
        let n = Tensor.elementCount(shape)
        precondition(values.count == n, "Tensor: \(values.count) values do not fill shape \(shape)")
        self.shape = shape
        storage = TensorStorage(count: n)
        values.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: n) }
    }

    /// A rank-1 tensor.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A scalar (shape `[]`).
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// An uninitialised tensor for kernels that overwrite every element.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: Tensor.elementCount(shape))
    }

    /// Uniform values in `[low, high)` from `generator`.
    public init(uniform shape: [Int], low: Float, high: Float, generator: inout SeededGenerator) {
        self.init(uninitialized: shape)
        let p = storage.pointer
        for i in 0..<count { p[i] = generator.nextFloat(in: low, high) }
    }

    /// Normal values with the given mean and standard deviation from `generator`.
    public init(normal shape: [Int], mean: Float = 0, std: Float = 1, generator: inout SeededGenerator) {
        self.init(uninitialized: shape)
        let p = storage.pointer
        for i in 0..<count { p[i] = mean + std * generator.nextNormal() }
    }

    /// The number of elements of `shape` (1 for a scalar).
    @inlinable
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "Tensor: negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements")
        return storage.pointer[0]
    }

    /// Read-only access to the values.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Mutable access to the values; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The base address for kernels that only read.
    @inlinable public var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// The base address for kernels that write; copies the storage first if it is shared.
    @inlinable
    public var mutablePointer: UnsafeMutablePointer<Float> {
        mutating get {
            makeUnique()
            return storage.pointer
        }
    }

    @usableFromInline
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(count: storage.count)
            copy.pointer.initialize(from: storage.pointer, count: storage.count)
            storage = copy
        }
    }

    /// The same values under another shape of the same size; `-1` stands for the one axis inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var shape = newShape
        if let hole = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(self.shape)")
            shape[hole] = count / known
        }
        precondition(
            Tensor.elementCount(shape) == count, "reshape: \(self.shape) has \(count) elements, \(newShape) does not")
        var t = self
        t.shape = shape
        return t
    }

    /// Rows `range` along the first axis, copied.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(
            rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
            "slice: \(range) outside the first axis of \(shape)")
        let inner = count / max(shape[0], 1)
        var newShape = shape
        newShape[0] = range.count
        let t = Tensor(uninitialized: newShape)
        t.storage.pointer.initialize(from: storage.pointer + range.lowerBound * inner, count: range.count * inner)
        return t
    }

    /// Row `index` of the first axis, without that axis.
    public subscript(index: Int) -> Tensor {
        let s = slice(index..<(index + 1))
        return s.reshaped(Array(shape.dropFirst()))
    }

    /// Rows `rows` (in that order) of the first axis, copied.
    public func gathering(rows: [Int]) -> Tensor {
        precondition(rank >= 1, "gathering: scalar tensor")
        let inner = count / max(shape[0], 1)
        var newShape = shape
        newShape[0] = rows.count
        let t = Tensor(uninitialized: newShape)
        for (k, r) in rows.enumerated() {
            precondition(r >= 0 && r < shape[0], "gathering: row \(r) outside \(shape)")
            (t.storage.pointer + k * inner).initialize(from: storage.pointer + r * inner, count: inner)
        }
        return t
    }

    /// The first two axes swapped: (A, B, ...) -> (B, A, ...); for a matrix, its transpose.
    public func swappingFirstAxes() -> Tensor {
        precondition(rank >= 2, "swappingFirstAxes: rank \(rank)")
        let a = shape[0], b = shape[1], inner = count / max(a * b, 1)
        var y = Tensor(uninitialized: [b, a] + shape.dropFirst(2))
        let src = pointer, dst = y.mutablePointer
        for i in 0..<a {
            for j in 0..<b { (dst + (j * a + i) * inner).update(from: src + (i * b + j) * inner, count: inner) }
        }
        return y
    }

    /// Tensors of equal trailing shape stacked along a new or the existing first axis.
    public static func concatenating(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatenating: no tensors")
        let tail = Array(parts[0].shape.dropFirst())
        var rows = 0
        for p in parts {
            precondition(
                Array(p.shape.dropFirst()) == tail, "concatenating: \(p.shape) does not match \(parts[0].shape)")
            rows += p.shape[0]
        }
        let t = Tensor(uninitialized: [rows] + tail)
        var offset = 0
        for p in parts {
            (t.storage.pointer + offset).initialize(from: p.storage.pointer, count: p.count)
            offset += p.count
        }
        return t
    }
}

extension Tensor: CustomStringConvertible {
    /// A readable rendering: the shape, then the values nested by axis (long axes elided).
    public var description: String {
        func fmt(_ x: Float) -> String {
            if x == x.rounded() && abs(x) < 1e6 { return String(format: "%.1f", Double(x)) }
            return String(format: "%.5g", Double(x))
        }
        func render(_ offset: Int, _ axis: Int) -> String {
            if axis == rank { return fmt(storage.pointer[offset]) }
            let n = shape[axis]
            let stride = shape[(axis + 1)...].reduce(1, *)
            var items: [String] = []
            let shown = n > 8 ? Array(0..<3) + [-1] + Array((n - 3)..<n) : Array(0..<n)
            for i in shown { items.append(i < 0 ? "..." : render(offset + i * stride, axis + 1)) }
            let sep = axis == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: axis + 1)
            return "[" + items.joined(separator: sep) + "]"
        }
        return "Tensor\(shape)\n" + render(0, 0)
    }
}

extension Tensor: Equatable {
    /// Equal shapes and equal elements (NaN is not equal to itself).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.shape == b.shape && (0..<a.count).allSatisfy { a.storage.pointer[$0] == b.storage.pointer[$0] }
    }
}
