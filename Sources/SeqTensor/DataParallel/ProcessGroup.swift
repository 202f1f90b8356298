/// The processes that train one model together, each on its share of every batch (data
/// parallelism, as Horovod and PyTorch's DistributedDataParallel do it).
///
/// Every rank holds the whole model; after each backward pass the gradients are summed over the
/// ranks (`GradientAverager`), so every rank applies the same update and the parameters stay
/// identical. Rank 0 logs and writes files. `SingleProcess` is the group of one; the `Distributed`
/// module implements the group over MPI. Every call is collective: each rank makes the same calls
/// in the same order, or the job hangs.
public protocol ProcessGroup: AnyObject {
    /// This process's index in `0..<size`.
    var rank: Int { get }
    /// The processes in the group.
    var size: Int { get }
    /// Replaces `values` on every rank by their elementwise sum (or maximum) over the ranks; every
    /// rank receives the same numbers.
    func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation)
    /// The same over doubles.
    func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation)
    /// Every rank's `bytes` (the same count on each), in rank order, into `gathered` (`size`
    /// times as long) on every rank.
    func allGather(_ bytes: UnsafeRawBufferPointer, into gathered: UnsafeMutableRawBufferPointer)
    /// Rank `root`'s `bytes` into `bytes` on every rank.
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int)
}

/// How `allReduce` combines the ranks' values.
public enum ReduceOperation: Sendable {
    /// The elementwise sum.
    case sum
    /// The elementwise maximum.
    case max
}

/// The group of one process: every collective is the identity.
public final class SingleProcess: ProcessGroup {
    /// The group of this process alone.
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) {}
    public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) {}
    public func allGather(_ bytes: UnsafeRawBufferPointer, into gathered: UnsafeMutableRawBufferPointer) {
        gathered.copyMemory(from: bytes)
    }
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) {}
}

/// Ranks that should hold the same thing do not: different flags, data or parameters.
public struct ProcessGroupError: Error, CustomStringConvertible {
    /// What differs, and what to do about it.
    public let description: String
}

extension ProcessGroup {
    /// Whether this rank writes files and logs (rank 0).
    public var isMain: Bool { rank == 0 }

    /// This rank's contiguous share of `count` items: `count * rank / size ..< count * (rank + 1) / size`
    /// (the shares differ by at most one item; some are empty when `count < size`).
    public func share(of count: Int) -> Range<Int> { (count * rank / size)..<(count * (rank + 1) / size) }

    /// The elementwise sum of `values` over the ranks.
    public func sum(_ values: [Double]) -> [Double] { reduced(values, .sum) }

    /// `values` combined elementwise over the ranks by `operation`.
    func reduced(_ values: [Double], _ operation: ReduceOperation) -> [Double] {
        var out = values
        out.withUnsafeMutableBufferPointer { allReduce($0, operation) }
        return out
    }

    /// Every rank's `values` (the same count on each), concatenated in rank order.
    public func allGather<T: BitwiseCopyable>(_ values: [T]) -> [T] {
        var gathered = [T](unsafeUninitializedCapacity: values.count * size) { _, n in n = values.count * size }
        values.withUnsafeBytes { send in gathered.withUnsafeMutableBytes { allGather(send, into: $0) } }
        return gathered
    }

    /// Rank `root`'s `values` on every rank (each rank passes an array of the same count).
    public func broadcast<T: BitwiseCopyable>(_ values: inout [T], from root: Int = 0) {
        values.withUnsafeMutableBytes { broadcast($0, from: root) }
    }

    /// The bytes `read` returns on rank 0, on every rank (a file only rank 0's machine holds, say);
    /// `read` runs on rank 0 alone, and its error stops every rank (`what` names the bytes in the
    /// others' error).
    public func broadcast(readOnRankZero read: () throws -> [UInt8], _ what: String) throws -> [UInt8] {
        guard size > 1 else { return try read() }
        var bytes: [UInt8] = [], failure: (any Error)?
        if rank == 0 {
            do { bytes = try read() } catch { failure = error }
        }
        var count = [failure == nil ? bytes.count : -1]
        broadcast(&count)
        if let failure { throw failure }
        guard count[0] >= 0 else { throw ProcessGroupError(description: "rank 0 could not read \(what)") }
        if rank != 0 { bytes = [UInt8](repeating: 0, count: count[0]) }
        broadcast(&bytes)
        return bytes
    }

    /// Throws unless every rank passes the same `value`; `what` names it in the error (e.g.
    /// "the command line"). Collective and cheap: one allreduce of four numbers.
    public func checkAgreement(on value: UInt64, _ what: String) throws {
        guard size > 1 else { return }
        // The maximum of (hi, lo, -hi, -lo) holds the largest and the smallest of both halves:
        // they are equal on every rank exactly when the values are. (Halves are exact in a Double.)
        let hi = Double(value >> 32), lo = Double(value & 0xFFFF_FFFF)
        let m = reduced([hi, lo, -hi, -lo], .max)
        guard m[0] == -m[2], m[1] == -m[3] else {
            throw ProcessGroupError(description: "the \(size) ranks disagree on \(what)")
        }
    }

    /// Throws unless every rank holds bit-identical `tensors` (the parameters, after step
    /// `step`): data-parallel ranks that drift apart no longer train one model.
    public func checkIdentical(_ tensors: [Variable], step: Int) throws {
        guard size > 1 else { return }
        var hash = FNV1a()
        for t in tensors { hash.add(t.value.pointer, count: t.value.count) }
        do {
            try checkAgreement(on: hash.value, "the parameters")
        } catch {
            throw ProcessGroupError(
                description: "the parameters differ between the \(size) ranks after step \(step): the ranks no "
                    + "longer train one model (different seqtool builds per machine, or an MPI reduction that "
                    + "does not give every rank the same sums?)")
        }
    }
}

/// The 64-bit FNV-1a hash: a cheap fingerprint of bytes (command lines, corpora, parameters) for
/// checking that ranks agree.
public struct FNV1a: Sendable {
    /// The hash of everything added so far.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The hash of nothing.
    public init() {}

    /// Adds one 32-bit word (FNV-1a over words rather than bytes: four times fewer multiplications).
    @inline(__always)
    public mutating func add(word: UInt32) { value = (value ^ UInt64(word)) &* 0x100_0000_01b3 }

    /// Adds the bit patterns of `count` floats at `pointer`.
    public mutating func add(_ pointer: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { add(word: pointer[i].bitPattern) }
    }

    /// Adds the UTF-8 bytes of `text` and a separator.
    public mutating func add(_ text: String) {
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        value = (value ^ 0xFF) &* 0x100_0000_01b3
    }
}

extension ProcessGroup {
    /// Every rank's recurrent state (L, b, H), the same shape on each, joined along the batch
    /// axis in rank order: (L, size * b, H), the state of the whole batch.
    public func allGatherBatch(_ state: Tensor) -> Tensor {
        precondition(state.rank == 3, "allGatherBatch: a state (L, b, H), got \(state.shape)")
        let (layers, b, h) = (state.shape[0], state.shape[1], state.shape[2])
        let gathered = allGather(Array(UnsafeBufferPointer(start: state.pointer, count: state.count)))
        var out = Tensor(uninitialized: [layers, size * b, h])
        let o = out.mutablePointer
        gathered.withUnsafeBufferPointer { g in
            for r in 0..<size {
                for l in 0..<layers {
                    (o + (l * size + r) * b * h).update(from: g.baseAddress! + (r * layers + l) * b * h, count: b * h)
                }
            }
        }
        return out
    }
}

extension Tensor {
    /// Rows `range` of the batch axis of a recurrent state (L, B, H): (L, range.count, H), a
    /// rank's share of the whole batch's state.
    public func selectingBatch(_ range: Range<Int>) -> Tensor {
        precondition(rank == 3 && range.upperBound <= shape[1], "selectingBatch: \(range) of \(shape)")
        let (layers, batch, h) = (shape[0], shape[1], shape[2])
        var out = Tensor(uninitialized: [layers, range.count, h])
        for l in 0..<layers {
            (out.mutablePointer + l * range.count * h).update(
                from: pointer + (l * batch + range.lowerBound) * h, count: range.count * h)
        }
        return out
    }
}

extension ProcessGroup {
    /// This rank's contiguous part of one batch of `items`, and its share n_r / n of the batch
    /// (the weight of its gradient in `GradientAverager`).
    public func share<C: Collection>(of batch: C) -> (items: [C.Element], share: Float) {
        let items = Array(batch), mine = share(of: items.count)
        return (Array(items[mine]), items.isEmpty ? 0 : Float(mine.count) / Float(items.count))
    }

    /// An epoch's order of `count` items, drawn by rank 0 from `generator` (as one process would
    /// draw it) and sent to the others, whose generators stay for their own dropout masks.
    public func permutation(_ count: Int, drawnBy generator: inout SeededGenerator) -> [Int] {
        guard size > 1 else { return generator.permutation(count) }
        var order = rank == 0 ? generator.permutation(count) : [Int](repeating: 0, count: count)
        broadcast(&order)
        return order
    }
}

extension SeededGenerator {
    /// The generator rank `rank` of a data-parallel job draws its dropout masks from: rank 0 keeps
    /// `self` (the masks one process draws), the others a stream derived from it and their rank.
    public func stream(forRank rank: Int) -> SeededGenerator {
        guard rank > 0 else { return self }
        var hash = FNV1a()
        hash.add("rank \(rank) of " + stateWords.map(String.init).joined(separator: ","))
        return SeededGenerator(seed: hash.value)
    }
}
