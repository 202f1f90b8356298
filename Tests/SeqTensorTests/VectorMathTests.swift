import Foundation
import SeqTensor
import XCTest

/// The SIMD kernels against Foundation (double precision, rounded to float) on a dense grid.
final class VectorMathTests: XCTestCase {
    /// Distance in units in the last place between two floats (0 for equal, both NaN, same inf).
    func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b || (a.isNaN && b.isNaN) { return 0 }
        if a.isNaN || b.isNaN || a.isInfinite || b.isInfinite { return Int.max }
        func ordered(_ x: Float) -> Int64 {
            let bits = Int64(Int32(bitPattern: x.bitPattern))
            return bits < 0 ? Int64(Int32.min) - bits : bits
        }
        return Int(abs(ordered(a) - ordered(b)))
    }

    /// Every float32 in [low, high] stepped by `stride` ulps, plus the special values.
    func grid(_ low: Float, _ high: Float, points: Int = 400_000) -> [Float] {
        var xs: [Float] = []
        let step = (high - low) / Float(points)
        var x = low
        while x <= high {
            xs.append(x)
            x += step
        }
        // Around zero and tiny magnitudes, where relative accuracy is hardest.
        for e in stride(from: -40, through: 0, by: 1) {
            xs.append(Float(pow(2.0, Double(e))) * 1.37)
            xs.append(-Float(pow(2.0, Double(e))) * 1.37)
        }
        return xs
    }

    func worst(_ xs: [Float], _ kernel: (SIMD16<Float>) -> SIMD16<Float>, _ reference: (Double) -> Double) -> (
        Int, Float
    ) {
        var out = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                VectorMath.map(src.baseAddress!, dst.baseAddress!, count: xs.count, kernel)
            }
        }
        var maxUlps = 0, at: Float = 0
        for (x, y) in zip(xs, out) {
            let u = ulps(y, Float(reference(Double(x))))
            if u > maxUlps {
                maxUlps = u
                at = x
            }
        }
        return (maxUlps, at)
    }

    func testExpWithinFewUlpsIncludingDenormalsAndOverflow() {
        let (u, at) = worst(
            grid(-104, 89) + [-90, 90, -88.7, 88.7, 88.72, 88.73, -103.5, 0, .infinity, -.infinity],
            { VectorMath.exp($0) }, { Foundation.exp($0) })
        XCTAssertLessThanOrEqual(u, 2, "exp is \(u) ulps off at \(at)")
        XCTAssertTrue(VectorMath.exp(Float.nan).isNaN)
    }

    func testTanhWithinFewUlps() {
        let (u, at) = worst(
            grid(-90, 90) + [-90, 90, 0, 1e-30, -1e-30, .infinity, -.infinity],
            { VectorMath.tanh($0) }, { Foundation.tanh($0) })
        XCTAssertLessThanOrEqual(u, 2, "tanh is \(u) ulps off at \(at)")
    }

    func testSigmoidWithinFewUlpsIncludingTinyResults() {
        let (u, at) = worst(
            grid(-90, 90) + [-90, 90, -100, 100, 0],
            { VectorMath.sigmoid($0) }, { 1 / (1 + Foundation.exp(-$0)) })
        XCTAssertLessThanOrEqual(u, 3, "sigmoid is \(u) ulps off at \(at)")
    }

    func testLogWithinFewUlpsIncludingDenormalsAndSpecials() {
        var xs =
            grid(1e-6, 90) + grid(0.5, 2) + [
                Float.leastNonzeroMagnitude, Float(bitPattern: 0x0001_16C2), 1e-38, Float.greatestFiniteMagnitude, 1,
            ]
        xs += (0..<2000).map { Float($0) * 1e3 + 1 }
        let (u, at) = worst(xs, { VectorMath.log($0) }, { Foundation.log($0) })
        XCTAssertLessThanOrEqual(u, 2, "log is \(u) ulps off at \(at)")
        XCTAssertEqual(VectorMath.log(0), -.infinity)
        XCTAssertEqual(VectorMath.log(.infinity), .infinity)
        XCTAssertTrue(VectorMath.log(-1).isNaN)
    }

    func testSIMD8AndSIMD16AgreeLaneForLane() {
        let v8 = SIMD8<Float>(-90, -3, -0.5, 0, 0.3, 2, 20, 90)
        let v16 = SIMD16<Float>(lowHalf: v8, highHalf: v8)
        XCTAssertEqual(VectorMath.tanh(v16).lowHalf, VectorMath.tanh(v8))
        XCTAssertEqual(VectorMath.exp(v16).highHalf, VectorMath.exp(v8))
    }
}
