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
        let results = Results<R>(count: ranks)
        let done = DispatchGroup()
        // Each thread runs the body on its own rank's data; what the body captures is the test's.
        let shared = Results<(any ProcessGroup) throws -> R>(count: 1)
        shared.set(0, .success(body))
        for rank in 0..<ranks {
            done.enter()
            let thread = Thread {
                let body = try! shared.values[0]!.get()
                results.set(rank, Result { try body(ThreadGroup(rank: rank, hub: hub)) })
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    /// Values handed between the threads: each writes its own slot before `leave()`, and the slots
    /// are read after `wait()` (or written before the threads start).
    final class Results<R>: @unchecked Sendable {
        var values: [Result<R, any Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ rank: Int, _ value: Result<R, any Error>) { values[rank] = value }
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
