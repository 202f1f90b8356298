import Datasets
import LanguageModel
import Recurrent
import SeqTensor
import XCTest

/// `eval`'s streaming loss scores the windows `meanLoss` scores, to the last bit, however the
/// text is cut into pieces.
final class StreamingLossTests: XCTestCase {
    func testStreamingLossEqualsTheLossOfOneStream() throws {
        let text = Array(String(repeating: "to be or not to be, that is the question\n", count: 12).utf8)
        let corpus = try CorpusReader.read(bytes: text, source: "t")
        let model = CharLanguageModel(
            .init(cell: .lstm, vocabularySize: corpus.vocabulary.count, embedding: 8, hidden: 16, layers: 2),
            vocabulary: corpus.vocabulary, random: RandomSource(seed: 3))
        let stream = try StreamBatches(tokens: corpus.tokens, batch: 1, steps: 37, source: "t", evaluationOnly: true)
        let expected = model.meanLoss(over: stream)
        for piece in [1, 10, 37, 38, 500, text.count] {
            var scoring = StreamingLoss(model: model, chunk: 37)
            var start = 0
            while start < corpus.tokens.count {
                let end = min(corpus.tokens.count, start + piece)
                scoring.feed(corpus.tokens.slice(start..<end).ids)
                start = end
            }
            XCTAssertEqual(scoring.finish(), expected, "pieces of \(piece)")
            XCTAssertEqual(scoring.count, corpus.tokens.count - 1)
        }
    }
}
