import Foundation
import Recurrent
import SeqTensor
import Training

/// What a resumed character-model run needs beyond the weights and the optimizer (which the
/// session saves): the data position and epoch, the carried state, the dropout generator's
/// state. The state file is also a valid character model file.
///
/// On several ranks the state holds the whole batch: every stream's carried state, and each rank's
/// dropout generator, so a run resumes on any number of ranks (including 1) where it stopped.
extension CharTrainer {
    /// The `state_format` of a checkpoint's metadata.
    public static let stateFormat = "seqtool.charlm-state.v1"

    public var stateFormat: String { Self.stateFormat }

    /// The state file that goes with model file `modelPath` (`m.safetensors` -> `m.state.safetensors`).
    public static func statePath(forModel modelPath: String) -> String {
        TrainingCheckpoint.statePath(forModel: modelPath)
    }

    /// Adds the data position, the carried state and the generators (collective on several ranks:
    /// the carried states and generators are gathered).
    public func saveState(into checkpoint: inout TrainingCheckpoint) {
        let carry = carried?.parts.map { group.size > 1 ? group.allGatherBatch($0.value) : $0.value }
        checkpoint.saveGenerators(model.random.generator, group: group)
        guard group.isMain else { return }
        // The carried state's parts by name: `carry.h`, and `carry.c` for an LSTM.
        for (name, part) in zip(model.rnn.stateNames, carry ?? []) { checkpoint.tensors["carry.\(name)"] = part }
        checkpoint.metadata["epoch"] = String(batches.epoch)
        checkpoint.metadata["position"] = String(batches.position)
        checkpoint.metadata["batch"] = String(options.batch)
        checkpoint.metadata["seq"] = String(options.steps)
        checkpoint.metadata["stream_length"] = String(batches.length)
    }

    /// Restores what `saveState` wrote, for the same batches and data.
    public func restoreState(from checkpoint: TrainingCheckpoint) throws {
        try checkpoint.requireSame([
            ("batch", String(options.batch)), ("seq", String(options.steps)),
            ("stream_length", String(batches.length)),
        ])
        let epoch = try checkpoint.integer("epoch"), position = try checkpoint.integer("position")
        let generator = try checkpoint.generator(for: group)
        if checkpoint.tensors["carry.h"] != nil {
            let expected = [model.configuration.layers, options.batch, model.configuration.hidden]
            let parts = try model.rnn.stateNames.map { name in
                guard let part = checkpoint.tensors["carry.\(name)"], part.shape == expected else {
                    throw checkpoint.failure(
                        "carry.\(name) has shape \(checkpoint.tensors["carry.\(name)"]?.shape ?? []): "
                            + "expected (layers, batch, hidden) = \(expected)")
                }
                return part
            }
            // This rank's streams of the whole batch's state.
            let share = group.share(of: options.batch)
            carried = RecurrentState(parts: parts.map { Variable(group.size > 1 ? $0.selectingBatch(share) : $0) })
        } else {
            carried = nil
        }
        batches.epoch = epoch
        batches.position = position
        model.random.generator = generator
    }
}
