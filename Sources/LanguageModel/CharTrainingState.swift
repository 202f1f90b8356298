import Foundation
import Recurrent
import SeqTensor

/// Everything a resumed run needs to continue exactly as if it had never stopped: the weights,
/// optimizer moments, step, data position and epoch, the carried state, the dropout generator's
/// state. Stored as one safetensors file next to the model, written before the model file, so a
/// run killed between the two writes still has a self-consistent checkpoint. The file is also a
/// valid character model file (same tensor names and metadata, plus the extra state).
///
/// On several ranks the state holds the whole batch: every stream's carried state, and each rank's
/// dropout generator, so a run resumes on any number of ranks (including 1) where it stopped.
extension CharTrainer {
    /// The `format` of a checkpoint's metadata.
    public static let stateFormat = "seqtool.charlm-state.v1"

    /// The state file that goes with model file `modelPath` (`m.safetensors` -> `m.state.safetensors`).
    public static func statePath(forModel modelPath: String) -> String {
        (modelPath.hasSuffix(".safetensors") ? String(modelPath.dropLast(".safetensors".count)) : modelPath)
            + ".state.safetensors"
    }

    /// Writes the training state atomically; `extra` adds metadata (loss curves, options). On
    /// several ranks this is collective (the carried states and generators are gathered) and rank
    /// 0 writes.
    public func saveState(to path: String, extra: [String: String] = [:]) throws {
        let carry = carried?.parts.map { group.size > 1 ? group.allGatherBatch($0.value) : $0.value }
        let generators = group.allGather(model.random.generator.stateWords)
        guard group.isMain else { return }
        var tensors: [String: SafeTensors.Entry] = [:]
        for (name, p) in model.namedParameters { tensors[name] = SafeTensors.Entry(p.value) }
        for (k, t) in optimizer.state { tensors["optimizer.\(k)"] = SafeTensors.Entry(t) }
        // The carried state's parts by name: `carry.h`, and `carry.c` for an LSTM.
        for (name, part) in zip(model.rnn.stateNames, carry ?? []) {
            tensors["carry.\(name)"] = SafeTensors.Entry(part)
        }
        var metadata = extra.merging(model.metadata) { $1 }
        metadata["state_format"] = Self.stateFormat
        metadata["step"] = String(step)
        metadata["epoch"] = String(batches.epoch)
        metadata["position"] = String(batches.position)
        func words(_ w: ArraySlice<UInt64>) -> String { w.map(String.init).joined(separator: ",") }
        metadata["rng"] = words(generators[0..<4])
        if group.size > 1 {
            metadata["rng_ranks"] = stride(from: 0, to: generators.count, by: 4).map { words(generators[$0..<$0 + 4]) }
                .joined(separator: ";")
        }
        metadata["ranks"] = String(group.size)
        metadata["optimizer"] = options.optimizer.rawValue
        metadata["batch"] = String(options.batch)
        metadata["seq"] = String(options.steps)
        metadata["stream_length"] = String(batches.length)
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: metadata), to: path)
    }

    /// Restores a state written by `saveState` for the same options and data; returns its metadata.
    @discardableResult
    public func restoreState(from path: String) throws -> [String: String] {
        try restoreState(from: SafeTensors.read(path: path), path: path)
    }

    /// Restores the state in `file` (read from `path`, which errors name); returns its metadata.
    @discardableResult
    public func restoreState(from file: SafeTensors.File, path: String) throws -> [String: String] {
        let m = file.metadata
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        guard m["state_format"] == Self.stateFormat else {
            throw fail("is not a seqtool training state (\(Self.stateFormat))")
        }
        for (key, expected) in [
            ("optimizer", options.optimizer.rawValue), ("batch", String(options.batch)), ("seq", String(options.steps)),
            ("stream_length", String(batches.length)),
        ] where m[key] != expected {
            throw fail(
                "was saved with \(key) "
                    + "\(m[key] ?? "?"), this run has \(expected) (resume with the same options and corpus)"
            )
        }
        guard let s = m["step"].flatMap(Int.init), let e = m["epoch"].flatMap(Int.init),
            let p = m["position"].flatMap(Int.init),
            let words = m["rng"]?.split(separator: ",").compactMap({ UInt64($0) }), words.count == 4
        else {
            throw fail("metadata step/epoch/position/rng are missing or malformed")
        }
        var optimizerState: [String: Tensor] = [:]
        for (name, entry) in file.tensors where name.hasPrefix("optimizer.") {
            optimizerState[String(name.dropFirst("optimizer.".count))] = entry.tensor
        }
        do { try optimizer.load(state: optimizerState) } catch { throw fail("\(error)") }
        if let h = file.tensors["carry.h"]?.tensor {
            let expected = [model.configuration.layers, options.batch, model.configuration.hidden]
            let parts = try model.rnn.stateNames.map { name in
                guard let part = file.tensors["carry.\(name)"]?.tensor, part.shape == expected else {
                    throw fail(
                        "carry.\(name) has shape \(file.tensors["carry.\(name)"]?.shape ?? []), "
                            + "carry.h \(h.shape): expected (layers, batch, hidden) = \(expected)")
                }
                return part
            }
            // This rank's streams of the whole batch's state.
            let share = group.share(of: options.batch)
            carried = RecurrentState(parts: parts.map { Variable(group.size > 1 ? $0.selectingBatch(share) : $0) })
        } else {
            carried = nil
        }
        step = s
        batches.epoch = e
        batches.position = p
        model.random.generator = generator(rank0: words, ranks: m["rng_ranks"])
        return m
    }

    /// This rank's dropout generator from a state's words: its own when the run had as many
    /// ranks, otherwise rank 0's (and the others derived from it, as at the start).
    func generator(rank0 words: [UInt64], ranks: String?) -> SeededGenerator {
        let saved = ranks?.split(separator: ";").map { $0.split(separator: ",").compactMap { UInt64($0) } } ?? []
        if saved.count == group.size && saved.allSatisfy({ $0.count == 4 }) {
            return SeededGenerator(stateWords: saved[group.rank])
        }
        return SeededGenerator(stateWords: words).stream(forRank: group.rank)
    }
}
