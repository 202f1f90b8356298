import SeqTensor

/// The training state of a run, as one safetensors file beside the model (`m.safetensors` ->
/// `m.state.safetensors`): everything a resumed run needs to continue exactly as if it had never
/// stopped. The session writes the weights, the optimizer's memory (`optimizer.*`), the step, the
/// loss curves and the selection's best weights (`best.*`); the task adds its data position,
/// generators and carried state. The metadata also holds the model file's, so the state file is a
/// valid model file of its kind too.
public struct TrainingCheckpoint {
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// The metadata (strings by key).
    public var metadata: [String: String]
    /// Where it was read from (named in errors), or will be written to.
    public let path: String

    /// An empty checkpoint for `path`.
    public init(path: String) {
        (tensors, metadata, self.path) = ([:], [:], path)
    }

    /// The checkpoint in `file`, read from `path`.
    public init(_ file: SafeTensors.File, path: String) {
        tensors = file.tensors.mapValues(\.tensor)
        metadata = file.metadata
        self.path = path
    }

    /// The state file that goes with model file `modelPath` (`m.safetensors` -> `m.state.safetensors`).
    public static func statePath(forModel modelPath: String) -> String {
        (modelPath.hasSuffix(".safetensors") ? String(modelPath.dropLast(".safetensors".count)) : modelPath)
            + ".state.safetensors"
    }

    /// An error naming the checkpoint's file.
    public func failure(_ problem: String) -> DataError { DataError(file: path, problem: problem) }

    /// The whole number stored under `key`, or an error naming the key.
    public func integer(_ key: String) throws -> Int {
        guard let value = metadata[key].flatMap(Int.init) else {
            throw failure("metadata \(key) is missing or malformed")
        }
        return value
    }

    /// Unsigned 64-bit words stored under `key` as "w,w,...", `count` of them.
    public func words(_ key: String, count: Int) throws -> [UInt64] {
        let words = (metadata[key] ?? "").split(separator: ",").compactMap { UInt64($0) }
        guard words.count == count else { throw failure("metadata \(key) is missing or malformed") }
        return words
    }

    /// `words` as `words(_:count:)` reads them.
    public static func encode(_ words: some Sequence<UInt64>) -> String {
        words.map(String.init).joined(separator: ",")
    }

    /// Checks that the run being resumed was saved with the same `settings` (key -> this run's
    /// value): another batch, corpus or optimizer would not continue the same run.
    public func requireSame(_ settings: [(String, String)]) throws {
        for (key, expected) in settings where metadata[key] != expected {
            throw failure(
                "was saved with \(key) \(metadata[key] ?? "?"), this run has \(expected) (resume with the same "
                    + "options and data)")
        }
    }

    /// Writes the checkpoint atomically to `path`.
    public func write() throws {
        try SafeTensors.write(
            SafeTensors.File(tensors: tensors.mapValues { SafeTensors.Entry($0) }, metadata: metadata), to: path)
    }
}

extension TrainingCheckpoint {
    /// Adds every rank's `generator` (`rng`: rank 0's, `rng_ranks`: all of them on several ranks).
    /// Collective.
    public mutating func saveGenerators(_ generator: SeededGenerator, group: any ProcessGroup) {
        let words = group.allGather(generator.stateWords)
        metadata["rng"] = Self.encode(words[0..<4])
        if group.size > 1 {
            metadata["rng_ranks"] = stride(from: 0, to: words.count, by: 4).map { Self.encode(words[$0..<$0 + 4]) }
                .joined(separator: ";")
        }
    }

    /// This rank's generator as `saveGenerators` saved it: its own when the run had as many ranks,
    /// otherwise rank 0's (and the others' derived from it, as at the start of a run).
    public func generator(for group: any ProcessGroup) throws -> SeededGenerator {
        let rank0 = try words("rng", count: 4)
        let saved = (metadata["rng_ranks"] ?? "").split(separator: ";").map {
            $0.split(separator: ",").compactMap { UInt64($0) }
        }
        if saved.count == group.size && saved.allSatisfy({ $0.count == 4 }) {
            return SeededGenerator(stateWords: saved[group.rank])
        }
        return SeededGenerator(stateWords: rank0).stream(forRank: group.rank)
    }
}
