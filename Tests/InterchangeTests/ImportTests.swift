import Classification
import Datasets
import LanguageModel
import Recurrent
import SeqTensor
import XCTest

@testable import Interchange

/// The importer on graphs seqtool writes (a round trip must give back every weight bit for bit)
/// and on bytes that are not a model it can read. PyTorch's exporter's graphs are checked against
/// PyTorch's outputs by scripts/check-onnx-import.py.
final class ImportTests: XCTestCase {
    func charModel(_ cell: CellKind, layers: Int) -> CharLanguageModel {
        CharLanguageModel(
            .init(cell: cell, vocabularySize: 6, embedding: 3, hidden: 5, layers: layers),
            vocabulary: CharVocabulary(characters: ["a", "b", "c", "d", " ", "\n"]), random: RandomSource(seed: 7))
    }

    func testCharModelRoundTripKeepsEveryWeight() throws {
        for (cell, layers) in [(CellKind.lstm, 2), (.gru, 1), (.gruResetBefore, 2), (.rnnRelu, 1), (.rnnTanh, 2)] {
            let model = charModel(cell, layers: layers)
            for graph in CharModelGraph.allCases {
                let bytes = try model.onnxModel(graph).serialized()
                let imported = try ONNXImport.decode(bytes, path: "m.onnx")
                XCTAssertEqual(imported.kind, .charModel)
                XCTAssertEqual(imported.file.metadata["cell"], cell.name)
                XCTAssertEqual(imported.file.metadata["vocab"], model.vocabulary.json)
                let loaded = try CharLanguageModel.load(imported.file, path: "m.onnx")
                let theirs = Dictionary(uniqueKeysWithValues: loaded.stateDict.map { ($0.0, $0.1.value.scalars) })
                for (name, value) in model.stateDict {
                    XCTAssertEqual(theirs[name], value.value.scalars, "\(cell) \(graph) \(name)")
                }
            }
        }
    }

    func testCorruptFilesAreOneErrorNeverACrash() throws {
        let bytes = try charModel(.lstm, layers: 1).onnxModel(.step).serialized()
        for length in stride(from: 0, to: bytes.count - 1, by: 97) {
            XCTAssertThrowsError(try ONNXImport.decode(Array(bytes[..<length]), path: "cut.onnx")) { error in
                XCTAssertTrue(error is ImportError, "\(error)")
            }
        }
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            var noisy = bytes
            for _ in 0..<4 {
                noisy[Int(generator.next() % UInt64(noisy.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? ONNXImport.decode(noisy, path: "noisy.onnx")  // an error or a model, never a trap
        }
        XCTAssertThrowsError(try ONNXImport.decode(Array("not onnx".utf8), path: "x.onnx")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.onnx: is not an ONNX model"), "\(error)")
        }
    }

    func testRecurrentClassifierRoundTripKeepsWeightsStandardisationAndSubsample() throws {
        let classifier = Classifier(
            .recurrent(cell: .gru, hidden: 3, layers: 2, bidirectional: true), channels: 2, length: nil,
            classNames: ["x", "y", "z"], subsample: 3, random: RandomSource(seed: 1))
        (classifier.channelMean, classifier.channelStd) = ([0.5, -2], [3, 0.7])
        for lengths in [true, false] {
            let imported = try ONNXImport.decode(classifier.onnxModel(lengths: lengths).serialized(), path: "c.onnx")
            XCTAssertEqual(imported.kind, .classifier)
            let loaded = try Classifier.load(imported.file, path: "c.onnx")
            XCTAssertEqual(loaded.architecture, classifier.architecture)
            XCTAssertEqual(loaded.subsample, 3)
            XCTAssertEqual(loaded.classNames, ["x", "y", "z"])
            XCTAssertEqual(loaded.channelMean, [0.5, -2])
            XCTAssertEqual(loaded.channelStd, [3, 0.7])
            let theirs = Dictionary(uniqueKeysWithValues: loaded.stateDict.map { ($0.0, $0.1.value.scalars) })
            for (name, value) in classifier.stateDict { XCTAssertEqual(theirs[name], value.value.scalars, name) }
        }
    }

    func testWhatDoesNotFitIsRefusedByNodeName() throws {
        let fcn = Classifier(.fcn, channels: 1, length: nil, classNames: ["x", "y"], random: RandomSource(seed: 1))
        XCTAssertThrowsError(try ONNXImport.decode(fcn.onnxModel().serialized(), path: "f.onnx")) { error in
            XCTAssertTrue("\(error)".contains("does not fit seqtool's layers"), "\(error)")
        }
        var bare = try charModel(.gru, layers: 1).onnxModel(.step)
        bare.metadata = []
        XCTAssertThrowsError(try ONNXImport.decode(bare.serialized(), path: "v.onnx")) { error in
            XCTAssertTrue("\(error)".contains("--vocab"), "\(error)")
        }
        let vocabulary = CharVocabulary(characters: ["1", "2", "3", "4", "5", "6"])
        let given = try ONNXImport.decode(bare.serialized(), path: "v.onnx", vocabulary: vocabulary)
        XCTAssertEqual(given.file.metadata["vocab"], vocabulary.json)
    }
}

extension ImportTests {
    /// A graph whose values loop (a node reading its own output) ends in an error.
    func testALoopingGraphIsAnError() throws {
        var graph = ONNX.Graph(name: "loop")
        let H = 2
        graph.initializers = [
            ONNX.TensorValue(name: "W", floats: Array(repeating: 0, count: 4 * H), dims: [1, 4 * H, 1]),
            ONNX.TensorValue(name: "R", floats: Array(repeating: 0, count: 4 * H * H), dims: [1, 4 * H, H]),
        ]
        graph.nodes = [
            ONNX.Node("Identity", name: "self", inputs: ["v"], outputs: ["v"]),
            ONNX.Node(
                "LSTM", name: "lstm", inputs: ["v", "W", "R"], outputs: ["y", "h"],
                attributes: [ONNX.Attribute("hidden_size", .int(H))]),
        ]
        XCTAssertThrowsError(try ONNXImport.decode(ONNX.Model(graph: graph).serialized(), path: "loop.onnx"))
    }
}
