import Foundation
import SeqTensor
import XCTest

@testable import Datasets

/// The corpus reader against the definition it replaced (Swift's own UTF-8 decoding, the sorted
/// set of scalars, one id per scalar), prepared corpus files, and the streams over them.
final class CorpusTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Text of one- to four-byte characters, so that small chunks cut sequences everywhere.
    let text =
        "Hello, wörld! ½ ∑ 𝄞 end\nsecond line: ü 日本 🙂\n"
        + String(repeating: "abc ∂x/∂t 🙂\n", count: 40)

    func testReadingGivesTheSortedScalarsAndTheirIdsForEveryChunkSize() throws {
        let path = try write(Array(text.utf8), "t.txt")
        let scalars = Array(text.unicodeScalars)
        let expectedVocabulary = Set(scalars).sorted { $0.value < $1.value }
        let expectedIDs = scalars.map { expectedVocabulary.firstIndex(of: $0)! }
        for chunk in [1, 2, 3, 5, 7, 64, 1 << 20] {
            let corpus = try CorpusReader.read(path: path, vocabulary: nil, chunkBytes: chunk, progress: nil)
            XCTAssertEqual(corpus.vocabulary.characters, expectedVocabulary, "chunk \(chunk)")
            XCTAssertEqual(corpus.tokens.ids, expectedIDs, "chunk \(chunk)")
            XCTAssertEqual(corpus.tokens.buffer.width, 1)
        }
    }

    func testBadUTF8IsAnErrorAtTheOffsetOfTheBadSequence() throws {
        let cases: [([UInt8], Int)] = [
            ([0x61, 0x62, 0xC0, 0x80], 2),  // overlong
            ([0x61, 0xED, 0xA0, 0x80], 1),  // surrogate
            ([0x61, 0x62, 0x63, 0xE2, 0x82], 3),  // cut at the end
            ([0xF5, 0x80, 0x80, 0x80], 0),  // past U+10FFFF
            ([0x61, 0x80], 1),  // a lone continuation byte
            ([0xE2, 0x28, 0xA1], 0),  // a lead without its continuation
        ]
        for (bytes, offset) in cases {
            XCTAssertNil(String(validatingCString: bytes.map { CChar(bitPattern: $0) } + [0]), "\(bytes)")
            let path = try write(bytes, "bad.txt")
            for chunk in [1, 2, 1 << 20] {
                XCTAssertThrowsError(
                    try CorpusReader.read(path: path, vocabulary: nil, chunkBytes: chunk, progress: nil)
                ) {
                    XCTAssertEqual(
                        "\($0)", "\(path): is not valid UTF-8 text (bad byte at offset \(offset))", "\(bytes)")
                }
            }
        }
    }

    func testAModelsVocabularyNamesTheLineOfAnUnknownCharacter() throws {
        let path = try write(Array("ab\nba\nabz\n".utf8), "t.txt")
        let vocabulary = CharVocabulary(characters: ["\n", "a", "b"])
        XCTAssertThrowsError(try CorpusReader.read(path: path, vocabulary: vocabulary)) {
            XCTAssertEqual("\($0)", "\(path):3: character 'z' (U+007A) is not in the model's vocabulary of 3")
        }
    }

    func testAWideVocabularyTakesTwoBytesPerToken() throws {
        let scalars = (0..<300).map { Unicode.Scalar(0x4E00 + $0)! }
        let corpus = try CorpusReader.read(bytes: Array(String(String.UnicodeScalarView(scalars)).utf8), source: "wide")
        XCTAssertEqual(corpus.tokens.buffer.width, 2)
        XCTAssertEqual(corpus.tokens.ids, Array(0..<300))
    }

    func testAPreparedCorpusMapsBackToTheSameVocabularyAndIds() throws {
        let corpus = try CorpusReader.read(path: try write(Array(text.utf8), "t.txt"))
        let prepared = folder + "/t.tokens"
        try PreparedCorpus.write(corpus, to: prepared)
        XCTAssertTrue(PreparedCorpus.isPrepared(prepared))
        let mapped = try Corpus.load(path: prepared)
        XCTAssertTrue(mapped.tokens.buffer.isMapped)
        XCTAssertEqual(mapped.vocabulary, corpus.vocabulary)
        XCTAssertEqual(mapped.tokens.ids, corpus.tokens.ids)

        // Another vocabulary, a truncated file, a corrupt id and a foreign file: errors that say so.
        XCTAssertThrowsError(try Corpus.load(path: prepared, vocabulary: CharVocabulary(characters: ["a"]))) {
            XCTAssertTrue("\($0)".contains("was prepared with another vocabulary"), "\($0)")
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: prepared)))
        let truncated = try write(Array(bytes.dropLast(3)), "cut.tokens")
        XCTAssertThrowsError(try PreparedCorpus.read(path: truncated)) {
            XCTAssertTrue("\($0)".contains("(truncated?)"), "\($0)")
        }
        bytes[bytes.count - 5] = 250
        let corrupt = try write(bytes, "corrupt.tokens")
        XCTAssertThrowsError(try PreparedCorpus.read(path: corrupt)) {
            XCTAssertTrue(
                "\($0)".contains("id 250 at token \(corpus.tokens.count - 5) is outside the vocabulary"), "\($0)")
        }
        let foreign = try write(Array("SEQTOKv1 but nothing else".utf8), "foreign.tokens")
        XCTAssertThrowsError(try PreparedCorpus.read(path: foreign))
    }

    func testStreamsReadTheirTokensInPlaceAsTheyWereLaidOutBefore() throws {
        let ids = (0..<103).map { Int32($0 % 7) }
        var streams = try StreamBatches(tokens: Tokens(ids), batch: 4, steps: 5, source: "t")
        // The layout they replaced: streams[t * B + b] = tokens[b * L + t].
        let L = 103 / 4
        for _ in 0..<3 {
            let position = streams.position
            let (inputs, targets, _) = streams.next()
            for t in 0..<5 {
                for b in 0..<4 {
                    XCTAssertEqual(inputs[t * 4 + b], Int(ids[b * L + position + t]))
                    XCTAssertEqual(targets[t * 4 + b], Int(ids[b * L + position + t + 1]))
                }
            }
        }
        let chunks = Array(streams.evaluationChunks())
        XCTAssertEqual(chunks.map(\.steps).reduce(0, +), L - 1)
        XCTAssertEqual(chunks.last?.steps, (L - 1) % 5 == 0 ? 5 : (L - 1) % 5)

        let split = try StreamBatches.split(
            Tokens(ids), validationFraction: 0.5, validationLimit: 10, batch: 2, steps: 3, source: "t")
        XCTAssertEqual(split.validation?.tokens.count, 10)
        XCTAssertEqual(split.validation?.tokens.ids, ids[51..<61].map(Int.init))
    }
}
