import SeqTensor
import XCTest

final class TensorTests: XCTestCase {
    func testCreationShapeAndSlicing() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.slice(1..<3).scalars, [3, 4, 5, 6])
        XCTAssertEqual(t[2].scalars, [5, 6])
        XCTAssertEqual(t[2].shape, [2])
        XCTAssertEqual(t.reshaped([2, -1]).shape, [2, 3])
        XCTAssertEqual(t.gathering(rows: [2, 0]).scalars, [5, 6, 1, 2])
        XCTAssertEqual(Tensor.concatenating([t, t.slice(0..<1)]).shape, [4, 2])
        XCTAssertEqual(Tensor(zeros: [2, 2]).scalars, [0, 0, 0, 0])
        XCTAssertEqual(Tensor(scalar: 3).shape, [])
    }

    func testCopyOnWrite() {
        var a = Tensor([1, 2, 3])
        let b = a
        a.mutablePointer[0] = 9
        XCTAssertEqual(a.scalars, [9, 2, 3])
        XCTAssertEqual(b.scalars, [1, 2, 3])
    }

    func testSeededRandomIsReproducible() {
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
        XCTAssertEqual(Tensor(normal: [100], generator: &g1), Tensor(normal: [100], generator: &g2))
        var g3 = SeededGenerator(stateWords: g1.stateWords)
        XCTAssertEqual(g1.next(), g3.next())
        let u = Tensor(uniform: [10_000], low: -2, high: 2, generator: &g1).scalars
        XCTAssertTrue(u.allSatisfy { $0 >= -2 && $0 < 2 })
        XCTAssertEqual(u.reduce(0, +) / 10_000, 0, accuracy: 0.05)
        XCTAssertEqual(g1.permutation(10).sorted(), Array(0..<10))
    }

    /// Every transpose, and the single-row (GEMV) path.
    func testGemmMatchesNaiveProductForEveryTranspose() {
        for m in [5, 1] { checkGemm(m: m, n: 7, k: 3) }
    }

    func checkGemm(m: Int, n: Int, k: Int) {
        var g = SeededGenerator(seed: 1)
        let a = Tensor(uniform: [m * k], low: -1, high: 1, generator: &g),
            b = Tensor(uniform: [k * n], low: -1, high: 1, generator: &g)
        for ta in [false, true] {
            for tb in [false, true] {
                var c = Tensor(repeating: 1, shape: [m, n])
                gemm(
                    transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 2, a.pointer, b.pointer, beta: 0.5,
                    c.mutablePointer)
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Float = 0
                        for l in 0..<k {
                            s += a.pointer[ta ? l * m + i : i * k + l] * b.pointer[tb ? j * k + l : l * n + j]
                        }
                        XCTAssertEqual(c.pointer[i * n + j], 2 * s + 0.5, accuracy: 1e-5)
                    }
                }
            }
        }
    }

    func testDescriptionIsReadable() {
        let d = Tensor([1, 2, 3, 4], shape: [2, 2]).description
        XCTAssertTrue(d.hasPrefix("Tensor[2, 2]"))
        XCTAssertTrue(d.contains("[1.0, 2.0]"))
    }
}
