import Classification
import Datasets
import Foundation
import SeqTensor
import XCTest

/// An ensemble averages its members' probabilities, is saved as one file that loads back to the
/// same probabilities (a single model's file stays a `Classifier`'s), and a broken file is an
/// error naming the file and the member.
final class EnsembleTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Two members of different architectures (one standardised, one not).
    func members() -> [Classifier] {
        let data = ClassifierTests.task(count: 12, seed: 21)
        let fcn = Classifier(.fcn, channels: 2, length: nil, classNames: ["down", "up"], random: RandomSource(seed: 1))
        fcn.standardise(from: data)
        let gru = Classifier(
            .recurrent(cell: .gru, hidden: 6, layers: 1), channels: 2, length: nil, classNames: ["down", "up"],
            subsample: 2, random: RandomSource(seed: 2))
        return [fcn, gru]
    }

    func testAveragesProbabilitiesAndRoundTrips() throws {
        let members = members(), test = ClassifierTests.task(count: 9, seed: 22)
        let ensemble = ClassifierEnsemble(members: members, summaries: [["steps": "10"], ["steps": "12"]])
        XCTAssertEqual(ensemble.modelName, "fcn+gru")
        XCTAssertEqual(ClassifierEnsemble(members: [members[0], members[0]]).modelName, "2 x fcn")
        let (a, b) = (members[0].probabilities(test), members[1].probabilities(test))
        for (i, p) in ensemble.probabilities(test).enumerated() {
            for k in 0..<2 { XCTAssertEqual(p[k], (a[i][k] + b[i][k]) * 0.5, accuracy: 1e-6) }
        }
        XCTAssertEqual(ensemble.predict(test).count, 9)

        try ensemble.save(to: folder + "/e.safetensors", extra: ["train_accuracy": "0.5"])
        let loaded = try loadSeriesClassifier(path: folder + "/e.safetensors")
        let back = try XCTUnwrap(loaded as? ClassifierEnsemble)
        XCTAssertEqual(back.members.map(\.architecture), members.map(\.architecture))
        XCTAssertEqual(back.members[1].subsample, 2)
        XCTAssertEqual(back.memberSummaries[1]["steps"], "12")
        XCTAssertEqual(back.probabilities(test), ensemble.probabilities(test))
        XCTAssertEqual(back.classNames, ["down", "up"])

        try members[0].save(to: folder + "/one.safetensors")
        XCTAssertTrue(try loadSeriesClassifier(path: folder + "/one.safetensors") is Classifier)
        let file = try SafeTensors.read(path: folder + "/one.safetensors")
        XCTAssertFalse(file.tensors.keys.contains { $0.hasPrefix("member.") })
    }

    func testBrokenFilesNameTheFileAndTheMember() throws {
        let path = folder + "/e.safetensors"
        try ClassifierEnsemble(members: members()).save(to: path)
        let file = try SafeTensors.read(path: path)

        var missing = file
        missing.tensors.removeValue(forKey: "member.1.head.weight")
        XCTAssertThrowsError(try ClassifierEnsemble.load(missing, path: path)) { error in
            XCTAssertTrue("\(error)".contains("(member 1)") && "\(error)".contains("head.weight"), "\(error)")
        }
        var stray = file
        stray.tensors["member.2.head.weight"] = file.tensors["member.1.head.weight"]
        XCTAssertThrowsError(try ClassifierEnsemble.load(stray, path: path)) { error in
            XCTAssertTrue("\(error)".contains("member.2.head.weight belongs to no member"), "\(error)")
        }
        var count = file
        count.metadata["members"] = "100000"
        XCTAssertThrowsError(try ClassifierEnsemble.load(count, path: path)) { error in
            XCTAssertTrue("\(error)".contains("members"), "\(error)")
        }
        var model = file
        model.metadata["member.0.model"] = "transformer"
        XCTAssertThrowsError(try ClassifierEnsemble.load(model, path: path)) { error in
            XCTAssertTrue("\(error)".contains("(member 0)") && "\(error)".contains("transformer"), "\(error)")
        }
    }
}
