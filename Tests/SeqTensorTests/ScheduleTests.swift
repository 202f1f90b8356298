import Foundation
import SeqTensor
import XCTest

/// Learning-rate schedules against PyTorch's closed forms.
final class ScheduleTests: XCTestCase {
    func testStepExponentialCosineAndWarmup() {
        let step = LearningRateSchedule(base: 0.1, decay: .step(every: 10, gamma: 0.5))
        XCTAssertEqual(step.rate(at: 9), 0.1, accuracy: 1e-9)
        XCTAssertEqual(step.rate(at: 10), 0.05, accuracy: 1e-9)
        XCTAssertEqual(step.rate(at: 25), 0.025, accuracy: 1e-9)
        let exp = LearningRateSchedule(base: 1, decay: .exponential(gamma: 0.9))
        XCTAssertEqual(exp.rate(at: 3), 0.729, accuracy: 1e-6)
        let cosine = LearningRateSchedule(base: 1, decay: .cosine(totalSteps: 100, minimum: 0.1))
        XCTAssertEqual(cosine.rate(at: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 50), 0.55, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 150), 0.1, accuracy: 1e-6)
        let warm = LearningRateSchedule(base: 1, decay: .cosine(totalSteps: 10, minimum: 0), warmupSteps: 4)
        XCTAssertEqual(warm.rate(at: 0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(warm.rate(at: 3), 1, accuracy: 1e-6)
        XCTAssertEqual(warm.rate(at: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(warm.rate(at: 9), Float((1 + cos(Double.pi * 0.5)) / 2), accuracy: 1e-6)
    }

    func testOptimizerStateRoundTripsForResume() throws {
        // Two Adams, one restored from the other's state halfway, end identical.
        var g = SeededGenerator(seed: 3)
        let grads = (0..<6).map { _ in Tensor(uniform: [4], low: -1, high: 1, generator: &g) }
        let p1 = Parameter(Tensor([1, 2, 3, 4])), a1 = Adam([p1], learningRate: 0.1)
        for k in 0..<6 {
            p1.grad = grads[k]
            a1.step()
        }
        let p2 = Parameter(Tensor([1, 2, 3, 4])), a2 = Adam([p2], learningRate: 0.1)
        for k in 0..<3 {
            p2.grad = grads[k]
            a2.step()
        }
        let p3 = Parameter(p2.value), a3 = Adam([p3], learningRate: 0.1)
        try a3.load(state: a2.state)
        for k in 3..<6 {
            p3.grad = grads[k]
            a3.step()
        }
        XCTAssertEqual(p1.value, p3.value)
    }
}
