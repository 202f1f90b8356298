import Recurrent
import SeqTensor
import XCTest

/// The batch-1 sampling path against the full sequence layer: same logits at every step, for
/// every cell at two sizes (40 = 2 x 16 + 8: full and ragged SIMD blocks), on two threads.
final class CharStepperTests: XCTestCase {
    func testStepperMatchesTheSequenceModelForEveryCell() {
        let vocabulary = CharVocabulary(text: Array("abcdefg \n".unicodeScalars))
        let threadsBefore = BLASThreads.current
        BLASThreads.set(2)
        defer { BLASThreads.set(threadsBefore) }
        for cell in CellKind.allCases {
            for hidden in [12, 40] {
                let model = CharLanguageModel(.init(cell: cell, vocabularySize: vocabulary.count, embedding: 5, hidden: hidden, layers: 2),
                                              vocabulary: vocabulary, random: RandomSource(seed: 3))
                model.isTraining = false
                let ids = [3, 1, 4, 1, 5, 2, 6, 8, 0, 7]
                let full = Tape.withoutRecording { model(ids, steps: ids.count, batch: 1, state: nil).logits.value }
                let stepper = CharStepper(model)
                for (t, id) in ids.enumerated() {
                    stepper.step(id)
                    for v in 0..<vocabulary.count {
                        XCTAssertEqual(stepper.logits.pointer[v], full.pointer[t * vocabulary.count + v], accuracy: 1e-5,
                                       "\(cell) hidden \(hidden) step \(t)")
                    }
                }
            }
        }
    }
}
