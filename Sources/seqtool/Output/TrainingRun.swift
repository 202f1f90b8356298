import ArgumentParser
import Foundation
import SeqTensor
import Training

/// Runs a training session the way every training command does: Ctrl-C checkpoints and exits
/// with 130 (one process; under mpirun Ctrl-C is mpirun's), divergence is an error naming the flags
/// that cause it, and progress goes to standard error. Returns why the run stopped and its seconds.
func runTraining(_ session: TrainingSession, progress: TrainingProgress, what: String) throws -> (
    reason: StopReason, seconds: Double
) {
    if session.group.size == 1 {
        Interrupt.install()
        session.interruptRequested = { Interrupt.isRequested }
    }
    // Whatever the session reported to before (a caller's recorder) still hears every event.
    let earlier = session.onEvent
    session.onEvent = { event in
        earlier(event)
        progress.report(event)
    }
    let start = Date()
    let reason: StopReason
    do {
        reason = try session.run()
    } catch let e as DivergenceError {
        progress.finish()
        let saved = session.options.checkpointEvery > 0 ? session.checkpointPath : nil
        throw CommandError(
            "\(e); try a lower --lr or a smaller --clip"
                + (saved.map { "; the last checkpoint in \($0) is from before it" } ?? ""))
    }
    progress.finish()
    if reason == .interrupted {
        let saved = session.checkpointPath.map {
            ": saved \($0) and \(TrainingCheckpoint.statePath(forModel: $0)); continue with the same command and "
                + "--resume"
        }
        printError("interrupted \(what) at step \(session.step)" + (saved ?? ""))
        throw ExitCode(130)
    }
    return (reason, Date().timeIntervalSince(start))
}

/// Training progress on standard error, from a session's events: a step line (or bar) with the
/// epoch and the loss, a line for each evaluation and each lowered learning rate.
final class TrainingProgress {
    let bar: Progress
    /// Characters (or items) per step, for a rate; nil to show none.
    let tokensPerStep: Int?
    /// Steps per epoch, to show the epoch a step is in as "epoch e/E"; nil shows the epochs so far.
    let epochSteps: Int?
    /// Formats an evaluation's line; nil prints none.
    let describe: ((Evaluation) -> String?)?
    let start = Date()
    var tokens = 0

    /// Progress of `totalSteps` steps (a line every `logEvery` when standard error is not a terminal).
    init(
        totalSteps: Int, logEvery: Int, tokensPerStep: Int? = nil, epochSteps: Int? = nil,
        describe: ((Evaluation) -> String?)? = nil
    ) {
        bar = Progress(total: totalSteps, logEvery: logEvery)
        (self.tokensPerStep, self.epochSteps, self.describe) = (tokensPerStep, epochSteps, describe)
    }

    func report(_ event: TrainingEvent) {
        switch event {
        case .step(let step, let loss, _, let epochs):
            var fields: [(String, String)] = []
            if let epochSteps {
                let total = (bar.total + epochSteps - 1) / epochSteps
                fields.append(("epoch", "\((step + epochSteps - 1) / epochSteps)/\(total)"))
                fields.append(("batch loss", String(format: "%.4f", loss)))
            } else {
                if let epochs { fields.append(("epoch", String(format: "%.2f", epochs))) }
                fields.append(("loss", String(format: "%.4f", loss)))
            }
            var rate: Double? = nil
            if let tokensPerStep {
                tokens += tokensPerStep
                rate = Double(tokens) / max(Date().timeIntervalSince(start), 1e-9)
            }
            bar.update(step: step, fields: fields, tokensPerSecond: rate)
        case .evaluation(let evaluation):
            if let line = describe?(evaluation) { bar.note(line) }
        case .learningRateLowered(let step, let rate):
            bar.note(String(format: "step %d  learning rate lowered to %.3g (no improvement)", step, rate))
        case .checkpoint:
            break
        }
    }

    func finish() { bar.finish() }
}

/// Continues in `session` the run saved at model file `out` (its state beside it); errors name
/// the state file.
func resumeSession(_ session: TrainingSession, from out: String) throws {
    let path = TrainingCheckpoint.statePath(forModel: out)
    guard FileManager.default.fileExists(atPath: path) else {
        throw CommandError("--resume: no training state at \(path)")
    }
    let state = TrainingCheckpoint(try reporting { try SafeTensors.read(path: path) }, path: path)
    try reporting { try session.restore(from: state) }
    printError("resuming \(out) at step \(session.step)")
}
