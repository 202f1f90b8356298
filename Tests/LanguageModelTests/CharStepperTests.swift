import Datasets
import Feedforward
import LanguageModel
import Recurrent
import SeqTensor
import XCTest

/// The batch-1 sampling path against the full sequence layer: same logits at every step, for
/// every cell (those without fused kernels step through the model), one to three layers, at sizes
/// that split into whole and ragged chunks of units, on one thread and on two (threshold lowered
/// so that small models split too).
final class CharStepperTests: XCTestCase {
    let vocabulary = CharVocabulary(text: Array("abcdefg \n".unicodeScalars))
    let ids = [3, 1, 4, 1, 5, 2, 6, 8, 0, 7]

    override func setUp() {
        threadsBefore = BLASThreads.current
        workBefore = Parallel.minimumStepWork
        Parallel.minimumStepWork = 0
    }

    override func tearDown() {
        BLASThreads.set(threadsBefore)
        Parallel.minimumStepWork = workBefore
    }

    var threadsBefore = 1, workBefore = 0

    func model(_ cell: CellKind, hidden: Int, layers: Int) -> CharLanguageModel {
        let model = CharLanguageModel(
            .init(cell: cell, vocabularySize: vocabulary.count, embedding: 5, hidden: hidden, layers: layers),
            vocabulary: vocabulary, random: RandomSource(seed: 3))
        model.isTraining = false
        return model
    }

    func assertLogits(_ got: UnsafePointer<Float>, _ full: Tensor, step t: Int, _ message: String) {
        for v in 0..<vocabulary.count {
            XCTAssertEqual(got[v], full.pointer[t * vocabulary.count + v], accuracy: 1e-5, "\(message) step \(t)")
        }
    }

    func testStepperMatchesTheSequenceModelForEveryCell() {
        // 12: one chunk; 40 = 32 + 8: a whole and a ragged chunk; 70 = 48 + 22.
        for threads in [1, 2] {
            BLASThreads.set(threads)
            for cell in CellKind.all {
                for (hidden, layers) in [(12, 2), (40, 2), (40, 1), (70, 3)] {
                    let model = model(cell, hidden: hidden, layers: layers)
                    let full = Graph.withoutRecording {
                        model(ids, steps: ids.count, batch: 1, state: nil).logits.value
                    }
                    let message = "\(cell) hidden \(hidden) layers \(layers) threads \(threads)"
                    let stepper = CharStepper(model)
                    for (t, id) in ids.enumerated() {
                        stepper.step(id)
                        stepper.logits.withUnsafeBufferPointer { assertLogits($0.baseAddress!, full, step: t, message) }
                    }
                    // `run` feeds what its callback returns, with the logits after each step.
                    stepper.reset()
                    var t = 0
                    stepper.run(from: ids[0]) { logits in
                        assertLogits(logits, full, step: t, message + " run")
                        t += 1
                        return t < ids.count ? ids[t] : nil
                    }
                    XCTAssertEqual(t, ids.count, message)
                }
            }
        }
    }

    /// A stepper split into two chunks still steps right when it later runs on one thread (one
    /// thread then runs both chunks' parts).
    func testChunksMadeForTwoThreadsRunOnOne() {
        BLASThreads.set(2)
        for cell in CellKind.all {
            let model = model(cell, hidden: 40, layers: 2)
            let full = Graph.withoutRecording { model(ids, steps: ids.count, batch: 1, state: nil).logits.value }
            let stepper = CharStepper(model)
            BLASThreads.set(1)
            for (t, id) in ids.enumerated() {
                stepper.step(id)
                stepper.logits.withUnsafeBufferPointer {
                    assertLogits($0.baseAddress!, full, step: t, "\(cell) on 1 thread")
                }
            }
            BLASThreads.set(2)
        }
    }

    /// `sample` feeds the prime, then each drawn token: the same characters as stepping and
    /// drawing by hand with the same generator.
    func testSampleFeedsThePrimeThenEachDrawnToken() throws {
        BLASThreads.set(2)
        for cell in [CellKind.gru, .lstm, .layerNormLSTM] {
            let model = model(cell, hidden: 40, layers: 2)
            let options = SamplingOptions(temperature: 0.8)
            var generator = SeededGenerator(seed: 11)
            var sampled = [Unicode.Scalar]()
            try model.sample(prime: "bad", length: 30, options: options, generator: &generator) { sampled.append($0) }

            var reference = [Unicode.Scalar]()
            var referenceGenerator = SeededGenerator(seed: 11)
            let stepper = CharStepper(model)
            for c in "bad".unicodeScalars { stepper.step(Int(vocabulary.id(of: c)!)) }
            for _ in 0..<30 {
                let next = stepper.logits.withUnsafeBufferPointer {
                    options.draw($0.baseAddress!, count: vocabulary.count, generator: &referenceGenerator)
                }
                reference.append(vocabulary.characters[next])
                stepper.step(next)
            }
            XCTAssertEqual(sampled, reference, "\(cell)")
        }
    }
}
