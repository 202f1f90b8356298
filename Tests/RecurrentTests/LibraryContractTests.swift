import Feedforward
import Foundation
import Recurrent
import SeqTensor
import XCTest

/// The library contract of the README: a model defined outside the package as a `Module` of
/// PyTorch-named layers, trained with `minimize`, saved and loaded; and two such models trained
/// at the same time on two threads give exactly what they give one after the other.
final class LibraryContractTests: XCTestCase {
    /// The README's classifier, near verbatim.
    final class Classifier: Module {
        let rnn: LSTM
        let head: Linear
        init(random: RandomSource) {
            rnn = LSTM(inputSize: 1, hiddenSize: 32, numLayers: 1, random: random)
            head = Linear(inFeatures: 32, outFeatures: 2, random: random)
        }
        var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }
        func callAsFunction(_ x: Variable) -> Variable {  // x (T, B, 1)
            let (_, state) = rnn(x)  // state.h (1, B, 32)
            return head(state.h.reshaped([x.shape[1], 32]))  // (B, 2)
        }
    }

    /// The same shape of model over any recurrent layer (GRU, RNN).
    final class AnyClassifier: Module {
        let rnn: any RecurrentStack
        let head: Linear
        init(_ rnn: any RecurrentStack, random: RandomSource) {
            self.rnn = rnn
            head = Linear(inFeatures: rnn.hiddenSize, outFeatures: 2, random: random)
        }
        var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }
        func callAsFunction(_ x: Variable) -> Variable {
            let (_, state) = rnn(x)
            return head(state.h.reshaped([x.shape[1], rnn.hiddenSize]))
        }
    }

    /// A batch of 16 sequences of 12 steps: rising (class 1) or falling (class 0) ramps with noise.
    static func batch(_ step: Int) -> (Variable, [Int]) {
        var generator = SeededGenerator(seed: UInt64(step))
        let (T, B) = (12, 16)
        var x = Tensor(zeros: [T, B, 1])
        var labels: [Int] = []
        let p = x.mutablePointer
        for b in 0..<B {
            let label = Int(generator.next() % 2)
            labels.append(label)
            let start = generator.nextFloat(in: -1, 1)
            for t in 0..<T {
                let ramp = Float(t) / Float(T) * (label == 1 ? 1 : -1)
                p[t * B + b] = start + ramp + 0.1 * generator.nextNormal()
            }
        }
        return (Variable(x), labels)
    }

    /// Trains `model` for `steps` steps; returns the losses.
    static func train(_ model: some Module, _ forward: (Variable) -> Variable, steps: Int) throws -> [Float] {
        let optimizer = Adam(model.parameters, learningRate: 3e-3)
        var losses: [Float] = []
        for step in 1...steps {
            let (x, labels) = batch(step)
            let loss = crossEntropy(logits: forward(x), targets: labels)
            losses.append(try optimizer.minimize(loss, clip: 1, step: step).loss)
        }
        return losses
    }

    static func accuracy(_ forward: (Variable) -> Variable) -> Float {
        let (x, labels) = batch(10_000)
        let logits = Graph.withoutRecording { forward(x) }.value
        return Float(zip(logits.argmax(), labels).filter { $0 == $1 }.count) / Float(labels.count)
    }

    func testTheREADMEClassifierTrainsSavesAndLoads() throws {
        let model = Classifier(random: RandomSource(seed: 1))
        XCTAssertEqual(
            model.namedParameters.map(\.0),
            ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"])
        let losses = try Self.train(model, model.callAsFunction, steps: 200)
        XCTAssertLessThan(losses.suffix(20).reduce(0, +) / 20, 0.2, "the classifier did not learn: \(losses.suffix(5))")
        XCTAssertGreaterThan(Self.accuracy(model.callAsFunction), 0.9)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path, metadata: ["task": "demo"])
        let copy = Classifier(random: RandomSource(seed: 2))
        let metadata = try copy.load(from: path)
        XCTAssertEqual(metadata["task"], "demo")
        let (x, _) = Self.batch(7)
        XCTAssertEqual(Graph.withoutRecording { copy(x) }.value, Graph.withoutRecording { model(x) }.value)
    }

    func testGRUAndRNNClassifiersTrainTheSameWay() throws {
        for make in [
            { (r: RandomSource) -> any RecurrentStack in GRU(inputSize: 1, hiddenSize: 32, random: r) },
            { (r: RandomSource) -> any RecurrentStack in
                RNN(inputSize: 1, hiddenSize: 32, nonlinearity: .tanh, random: r)
            },
        ] {
            let random = RandomSource(seed: 3)
            let model = AnyClassifier(make(random), random: random)
            _ = try Self.train(model, model.callAsFunction, steps: 200)
            XCTAssertGreaterThan(Self.accuracy(model.callAsFunction), 0.9, "\(model.rnn.summaryName)")
        }
    }

    func testTwoModelsTrainedOnTwoThreadsAtOnceMatchSerialTraining() throws {
        @Sendable func run(_ seed: UInt64) throws -> [Float] {
            let model = Classifier(random: RandomSource(seed: seed))
            return try Self.train(model, model.callAsFunction, steps: 60)
        }
        let serial = try [run(11), run(12)]
        for _ in 0..<3 {
            let results = ThreadShared(UnsafeMutablePointer<[Float]>.allocate(capacity: 2))
            results.value.initialize(repeating: [], count: 2)
            defer { results.value.deallocate() }
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                results.value[i] = (try? run(11 + UInt64(i))) ?? []
            }
            XCTAssertEqual(results.value[0], serial[0])
            XCTAssertEqual(results.value[1], serial[1])
        }
    }
}
