import CKernels
import Synchronization

/// Work split over the threads `BLASThreads` allows, on the spinning pool the native GEMM uses.
public enum Parallel {
    /// Runs `body(shared, index, parts)` for index 0..<parts on one thread each (index 0 on the
    /// caller's thread) and returns when all are done. `parts` is `count`, or fewer when the
    /// machine has fewer cores: split the work by `parts`. A `forEach` inside `body` runs as one
    /// part.
    ///
    /// `body` is `@Sendable`: what the threads share is passed as `shared` (raw buffers, each
    /// thread writing its own part of them), which is the one place the package vouches for
    /// sharing the compiler cannot check (`ThreadShared`).
    public static func forEach<Shared>(
        _ count: Int, sharing shared: Shared, _ body: @Sendable (_ shared: Shared, _ index: Int, _ parts: Int) -> Void
    ) {
        let shared = ThreadShared(shared)
        if count <= 1 {
            body(shared.value, 0, 1)
            return
        }
        withoutActuallyEscaping(body) { body in
            var task: (Int, Int) -> Void = { index, parts in body(shared.value, index, parts) }
            withUnsafeMutablePointer(to: &task) { task in
                st_parallel(
                    { context, index, parts in
                        context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(Int(index), Int(parts))
                    }, task, Int32(count))
            }
        }
    }

    private static let minimumRowWorkSetting = Atomic<Int>(1 << 20)
    private static let minimumStepWorkSetting = Atomic<Int>(1 << 16)

    /// The multiply-adds below which `rowThreads` keeps a job on one thread (about a millisecond
    /// of work). Tests lower it to run small problems down the threaded path.
    public static var minimumRowWork: Int {
        get { minimumRowWorkSetting.load(ordering: .relaxed) }
        set { minimumRowWorkSetting.store(newValue, ordering: .relaxed) }
    }

    /// The multiply-adds per step below which a batch-1 stepper (one token at a time) stays on one
    /// thread: under it, the hand-offs cost more than the split saves. Tests lower it.
    public static var minimumStepWork: Int {
        get { minimumStepWorkSetting.load(ordering: .relaxed) }
        set { minimumStepWorkSetting.store(newValue, ordering: .relaxed) }
    }

    /// Threads for a loop over `rows` independent rows whose own products run single-threaded:
    /// the batch of a recurrent layer, the unit blocks of a stepper. 1 when `gemm` runs on
    /// OpenBLAS (which threads inside each product instead) or when the whole job (`work`
    /// multiply-adds) is below `minimum`, too small to share.
    public static func rowThreads(rows: Int, work: Int, minimum: Int = minimumRowWork) -> Int {
        guard GemmBackend.current == .native, work >= minimum else { return 1 }
        return max(1, min(BLASThreads.current, rows))
    }

    /// Threads for an elementwise pass over `count` floats: 1 below ~64K elements, where a
    /// hand-off costs more than it saves, and 1 when `gemm` runs on OpenBLAS.
    public static func elementThreads(_ count: Int) -> Int {
        guard GemmBackend.current == .native, count >= 1 << 16 else { return 1 }
        return BLASThreads.current
    }

    /// The half-open range of `rows` that part `index` of `count` takes (sizes differ by at most 1).
    public static func range(of rows: Int, part index: Int, of count: Int) -> Range<Int> {
        let per = rows / count, extra = rows % count
        let start = index * per + min(index, extra)
        return start..<(start + per + (index < extra ? 1 : 0))
    }
}

/// What the threads of one `Parallel.forEach` share: raw buffers (and the sizes that go with
/// them) that every thread reads and each writes only its own, disjoint part of, for the
/// duration of that call.
///
/// The compiler cannot see that partition, so this is the package's one `@unchecked Sendable`
/// type for memory: a kernel that shares buffers between threads says so by passing them here,
/// and the partition is that kernel's to keep (its `range(of:part:of:)`, or signals).
public struct ThreadShared<Value>: @unchecked Sendable {
    /// The shared value; its raw buffers are written only at indices the writer owns.
    public let value: Value
    /// Wraps `value` for sharing across the threads of one `Parallel.forEach`.
    public init(_ value: Value) { self.value = value }
}
