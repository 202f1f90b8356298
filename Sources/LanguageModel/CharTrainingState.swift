import Foundation
import Recurrent
import SeqTensor

/// Everything a resumed run needs to continue exactly as if it had never stopped: the weights,
/// optimizer moments, step, data position and epoch, the carried state, the dropout generator's
/// state. Stored as one safetensors file next to the model, written before the model file, so a
/// run killed between the two writes still has a self-consistent checkpoint. The file is also a
/// valid character model file (same tensor names and metadata, plus the extra state).
extension CharTrainer {
    /// The `format` of a checkpoint's metadata.
    public static let stateFormat = "seqtool.charlm-state.v1"

    /// The state file that goes with model file `modelPath` (`m.safetensors` -> `m.state.safetensors`).
    public static func statePath(forModel modelPath: String) -> String {
        (modelPath.hasSuffix(".safetensors") ? String(modelPath.dropLast(".safetensors".count)) : modelPath)
            + ".state.safetensors"
    }

    /// Writes the training state atomically; `extra` adds metadata (loss curves, options).
    public func saveState(to path: String, extra: [String: String] = [:]) throws {
        var tensors: [String: SafeTensors.Entry] = [:]
        for (name, p) in model.namedParameters { tensors[name] = SafeTensors.Entry(p.value) }
        for (k, t) in optimizer.state { tensors["optimizer.\(k)"] = SafeTensors.Entry(t) }
        if let carried {
            tensors["carry.h"] = SafeTensors.Entry(carried.h.value)
            if let c = carried.c { tensors["carry.c"] = SafeTensors.Entry(c.value) }
        }
        var metadata = extra.merging(model.metadata) { $1 }
        metadata["state_format"] = Self.stateFormat
        metadata["step"] = String(step)
        metadata["epoch"] = String(batches.epoch)
        metadata["position"] = String(batches.position)
        metadata["rng"] = model.random.generator.stateWords.map(String.init).joined(separator: ",")
        metadata["optimizer"] = options.optimizer.rawValue
        metadata["batch"] = String(options.batch)
        metadata["seq"] = String(options.steps)
        metadata["stream_length"] = String(batches.length)
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: metadata), to: path)
    }

    /// Restores a state written by `saveState` for the same options and data; returns its metadata.
    @discardableResult
    public func restoreState(from path: String) throws -> [String: String] {
        let file = try SafeTensors.read(path: path)
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
        if let h = file.tensors["carry.h"] {
            carried = RecurrentState(h: Variable(h.tensor), c: file.tensors["carry.c"].map { Variable($0.tensor) })
        } else {
            carried = nil
        }
        step = s
        batches.epoch = e
        batches.position = p
        model.random.generator = SeededGenerator(stateWords: words)
        return m
    }
}
