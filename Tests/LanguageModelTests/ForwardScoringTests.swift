import Datasets
import LanguageModel
import Recurrent
import SeqTensor
import XCTest

/// Forward-only scoring (`chunkLoss`, `lossSum(over:)`) and `eval`'s B warmed-up streams
/// (`WarmedSegments`): the same loss as the recorded forward, every prediction counted once, the
/// warm-up of each segment read from the text just before it.
final class ForwardScoringTests: XCTestCase {
    let text = Array(
        String(repeating: "to be or not to be, that is the question\nwhether 'tis nobler\n", count: 9).utf8)

    func model(_ cell: CellKind, vocabulary: CharVocabulary, seed: UInt64 = 3) -> CharLanguageModel {
        CharLanguageModel(
            .init(cell: cell, vocabularySize: vocabulary.count, embedding: 6, hidden: 12, layers: 2),
            vocabulary: vocabulary, random: RandomSource(seed: seed))
    }

    /// The summed loss of one stream over `tokens[from..<to]` from a zero state, run as one chunk,
    /// counting the predictions of targets at `counted...` only.
    func referenceLoss(_ model: CharLanguageModel, _ ids: [Int], from: Int, to: Int, counted: Int) -> Double {
        let steps = to - 1 - from
        let mask = (0..<steps).map { from + 1 + $0 >= counted ? Float(1) : 0 }
        return model.inferenceMode {
            let (logits, _) = model(Array(ids[from..<(to - 1)]), steps: steps, batch: 1, state: nil)
            return Double(
                crossEntropy(logits: logits, targets: Array(ids[(from + 1)..<to]), mask: mask, reduction: .sum)
                    .value.item)
        }
    }

    func testForwardOnlyLossEqualsTheRecordedLoss() throws {
        let corpus = try CorpusReader.read(bytes: text, source: "t")
        let ids = corpus.tokens.ids
        let (T, B) = (9, 4)
        let inputs = (0..<(T * B)).map { ids[($0 % B) * 50 + $0 / B] }
        let targets = (0..<(T * B)).map { ids[($0 % B) * 50 + $0 / B + 1] }
        for cell in [CellKind.lstm, .gru, .rnnTanh] {
            let model = model(cell, vocabulary: corpus.vocabulary)
            let start = model.rnn.zeroState(batch: B)
            // Recorded: the training forward, which keeps every step for backward.
            let (recorded, recordedState) = model.loss(
                inputs: inputs, targets: targets, steps: T, batch: B, state: start)
            XCTAssertTrue(recorded.requiresGrad, "\(cell)")
            let (total, state) = model.inferenceMode {
                model.chunkLoss(inputs: inputs, targets: targets, steps: T, batch: B, state: start)
            }
            XCTAssertEqual(Float(total) / Float(T * B), recorded.value.item, accuracy: 1e-6, "\(cell)")
            for (a, b) in zip(recordedState.parts, state.parts) {
                XCTAssertEqual(a.value.scalars, b.value.scalars, "\(cell): final state")
            }
        }
    }

    func testEveryCharacterAfterTheFirstIsPredictedOnce() throws {
        // Token ids equal to their positions: a target says which character it is.
        for (count, streams, warmup, steps) in [
            (100, 7, 5, 4), (100, 7, 0, 64), (100, 3, 1000, 8), (37, 36, 2, 3), (37, 64, 3, 5), (2, 8, 4, 2),
        ] {
            let tokens = Tokens((0..<count).map(Int32.init))
            let segments = try WarmedSegments(
                tokens: tokens, streams: streams, warmup: warmup, steps: steps, source: "t")
            let what = "N=\(count) B=\(streams) W=\(warmup) T=\(steps)"
            XCTAssertEqual(segments.streams, min(streams, count - 1), what)
            var seen = [Int](repeating: 0, count: count)
            var uncounted = [Int](repeating: 0, count: segments.streams)
            for chunk in segments.chunks() {
                for k in 0..<chunk.targets.count where chunk.counted?[k] ?? 1 == 1 {
                    seen[chunk.targets[k]] += 1
                    XCTAssertEqual(chunk.inputs[k] + 1, chunk.targets[k], "\(what): a counted step reads the text")
                }
                // Warm-up steps read the text just before the segment, in order.
                for k in 0..<chunk.targets.count where chunk.counted?[k] == 0 {
                    let b = k % segments.streams
                    guard chunk.targets[k] < segments.firstCounted[b] && chunk.targets[k] > 0 else { continue }
                    XCTAssertEqual(chunk.inputs[k] + 1, chunk.targets[k], what)
                    uncounted[b] += 1
                }
            }
            XCTAssertEqual(seen[0], 0, what)
            XCTAssertEqual(Array(seen.dropFirst()), [Int](repeating: 1, count: count - 1), what)
            for b in 0..<segments.streams {
                XCTAssertEqual(uncounted[b], min(warmup, segments.firstCounted[b] - 1), "\(what): stream \(b)")
            }
        }
    }

    func testOneStreamIsTheStreamingLoss() throws {
        let corpus = try CorpusReader.read(bytes: text, source: "t")
        for cell in [CellKind.lstm, .gru, .rnnTanh] {
            let model = model(cell, vocabulary: corpus.vocabulary)
            var streaming = StreamingLoss(model: model, chunk: 37)
            streaming.feed(corpus.tokens.ids)
            let expected = streaming.finish()
            let segments = try WarmedSegments(tokens: corpus.tokens, streams: 1, warmup: 50, steps: 37, source: "t")
            let (total, count) = model.lossSum(over: segments)
            XCTAssertEqual(count, corpus.tokens.count - 1)
            XCTAssertEqual(Float(total / Double(count)), expected, "\(cell)")
        }
    }

    func testEachSegmentIsWarmedByTheTextBeforeIt() throws {
        let corpus = try CorpusReader.read(bytes: text, source: "t")
        let ids = corpus.tokens.ids
        let model = model(.lstm, vocabulary: corpus.vocabulary)
        var streaming = StreamingLoss(model: model, chunk: 16)
        streaming.feed(ids)
        let oneStream = Double(streaming.finish())
        for (streams, warmup) in [(5, 0), (5, 7), (8, 40), (64, 3)] {
            let segments = try WarmedSegments(
                tokens: corpus.tokens, streams: streams, warmup: warmup, steps: 16, source: "t")
            let (total, count) = model.lossSum(over: segments)
            XCTAssertEqual(count, ids.count - 1)
            // Each stream is its own text from a zero state: its slice, counted from its segment.
            var expected: Double = 0
            for b in 0..<segments.streams {
                expected += referenceLoss(
                    model, ids, from: segments.starts[b], to: segments.ends[b], counted: segments.firstCounted[b])
                XCTAssertEqual(segments.starts[b], max(0, segments.firstCounted[b] - 1 - warmup))
            }
            XCTAssertEqual(total, expected, accuracy: 1e-4 * expected, "B=\(streams) W=\(warmup)")
            if warmup == 0 { XCTAssertNotEqual(total / Double(count), oneStream, accuracy: 1e-4) }
        }
        // A warm-up as long as the text gives every prediction its whole context: the one stream's loss.
        let whole = try WarmedSegments(tokens: corpus.tokens, streams: 6, warmup: ids.count, steps: 16, source: "t")
        let (total, count) = model.lossSum(over: whole)
        XCTAssertEqual(total / Double(count), oneStream, accuracy: 1e-5 * oneStream)
    }

    func testTinyTexts() throws {
        let corpus = try CorpusReader.read(bytes: Array("abc".utf8), source: "t")
        let model = model(.gru, vocabulary: corpus.vocabulary)
        let segments = try WarmedSegments(tokens: corpus.tokens, streams: 64, warmup: 512, steps: 256, source: "t")
        XCTAssertEqual(segments.streams, 2)
        XCTAssertEqual(model.lossSum(over: segments).count, 2)
        XCTAssertEqual(
            try WarmedSegments(tokens: corpus.tokens.slice(0..<2), streams: 4, warmup: 1, steps: 1, source: "t")
                .streams, 1)
        XCTAssertThrowsError(
            try WarmedSegments(tokens: corpus.tokens.slice(0..<1), streams: 4, warmup: 1, steps: 8, source: "one.txt")
        ) { error in
            XCTAssertTrue("\(error)".contains("one.txt"), "\(error)")
            XCTAssertTrue("\(error)".contains("at least 2 characters"), "\(error)")
        }
    }
}
