import Foundation
import SeqTensor

/// N ranks of a data-parallel job as N threads of this process, for testing the data-parallel
/// code (trainers, `GradientAverager`, checkpoints) without MPI: `run(ranks:_:)` calls the body
/// once per rank, each on its own thread with its own `ProcessGroup`, and returns their results in
/// rank order. The collectives meet at a barrier and reduce in rank order, so every rank gets the
/// same numbers, as MPI's do.
public enum ThreadRanks {
    /// Runs `body(group)` on `ranks` threads at once and returns what each returned, by rank.
    public static func run<R>(ranks: Int, _ body: @escaping (any ProcessGroup) throws -> R) throws -> [R] {
        let hub = Hub(size: ranks)
        // A box per rank, made before the threads start: each thread writes only its own, and the
        // boxes are read after `wait()`. The body runs on every thread; what it captures is the test's.
        let results = (0..<ranks).map { _ in Box<Result<R, any Error>?>(nil) }
        let shared = Box(body)
        let done = DispatchGroup()
        for (rank, result) in results.enumerated() {
            done.enter()
            let thread = Thread {
                result.value = Result { try shared.value(ThreadGroup(rank: rank, hub: hub)) }
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return try results.map { try $0.value!.get() }
    }

    /// A value handed to or from one thread, at moments the `DispatchGroup` orders.
    final class Box<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
    }

    /// Where the threads meet: each collective publishes every rank's buffer, waits for all, reads,
    /// and waits again before anyone may change its buffer.
    final class Hub: @unchecked Sendable {
        let size: Int
        let condition = NSCondition()
        var arrived = 0, generation = 0
        var buffers: [UnsafeMutableRawBufferPointer?]

        init(size: Int) {
            self.size = size
            buffers = Array(repeating: nil, count: size)
        }

        func barrier() {
            condition.lock()
            defer { condition.unlock() }
            let mine = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
        }

        /// Every rank's buffer, once all have published theirs; call `barrier()` after reading.
        func exchange(_ rank: Int, _ buffer: UnsafeMutableRawBufferPointer) -> [UnsafeMutableRawBufferPointer] {
            condition.lock()
            buffers[rank] = buffer
            condition.unlock()
            barrier()
            condition.lock()
            defer { condition.unlock() }
            return buffers.map { $0! }
        }
    }

    final class ThreadGroup: ProcessGroup {
        let rank: Int
        let hub: Hub
        var size: Int { hub.size }

        init(rank: Int, hub: Hub) { (self.rank, self.hub) = (rank, hub) }

        func reduce<T: FloatingPoint>(_ values: UnsafeMutableBufferPointer<T>, _ operation: ReduceOperation) {
            let all = hub.exchange(rank, UnsafeMutableRawBufferPointer(values)).map { $0.bindMemory(to: T.self) }
            var out = Array(all[0])
            for r in 1..<size {
                for i in out.indices { out[i] = operation == .sum ? out[i] + all[r][i] : Swift.max(out[i], all[r][i]) }
            }
            hub.barrier()
            _ = values.update(from: out)
            hub.barrier()
        }

        func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) {
            reduce(values, operation)
        }

        func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) {
            reduce(values, operation)
        }

        func allGather(_ bytes: UnsafeRawBufferPointer, into gathered: UnsafeMutableRawBufferPointer) {
            let all = hub.exchange(rank, UnsafeMutableRawBufferPointer(mutating: bytes))
            for (r, b) in all.enumerated() {
                (gathered.baseAddress! + r * bytes.count).copyMemory(from: b.baseAddress!, byteCount: bytes.count)
            }
            hub.barrier()
        }

        func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) {
            let all = hub.exchange(rank, bytes)
            let source = Array(UnsafeRawBufferPointer(all[root]))
            hub.barrier()
            bytes.copyBytes(from: source)
            hub.barrier()
        }
    }
}
