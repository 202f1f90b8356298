import Synchronization

/// Heap storage of a tensor: `count` Float32 values, 64-byte aligned so SIMD loads and BLAS
/// packing start on a cache line. Shared between tensor values until one of them writes.
///
/// Large buffers come from and return to `StoragePool`: a training step allocates the same
/// sizes every step, so reusing them keeps the memory of one step's working set, with no page
/// faults and no heap fragmentation from repeated large malloc/free.
public final class TensorStorage {
    /// The number of floats.
    public let count: Int
    /// The floats, 64-byte aligned.
    public let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        pointer = StoragePool.take(count)
    }

    deinit { StoragePool.give(pointer, count: count) }
}

/// Free buffers by exact element count, for `TensorStorage`. Buffers under `minimumCount`
/// floats go straight to malloc; the pool holds at most `capacityBytes`, beyond which freed
/// buffers are released.
enum StoragePool {
    static let minimumCount = 16_384
    static let capacityBytes = 256 << 20

    /// The free buffers by element count (as addresses: a pointer is not `Sendable`), and their bytes.
    private struct Free {
        var buffers: [Int: [UInt]] = [:]
        var bytes = 0
    }
    private static let free = Mutex(Free())

    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    static func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        guard count >= minimumCount else { return allocate(count) }
        let reused = free.withLock { free -> UInt? in
            guard let address = free.buffers[count]?.popLast() else { return nil }
            free.bytes -= count * 4
            return address
        }
        guard let reused else { return allocate(count) }
        return UnsafeMutablePointer(bitPattern: reused)!
    }

    static func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if count >= minimumCount {
            let kept = free.withLock { free -> Bool in
                guard free.bytes + count * 4 <= capacityBytes else { return false }
                free.buffers[count, default: []].append(UInt(bitPattern: p))
                free.bytes += count * 4
                return true
            }
            if kept { return }
        }
        UnsafeMutableRawPointer(p).deallocate()
    }
}
