import SeqTensor
import XCTest

/// Element access by one index per axis, rows by one index, and argmax along the last axis.
final class TensorIndexingTests: XCTestCase {
    func testElementsAndRows() {
        var t = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        XCTAssertEqual(t[1, 2, 3], 23)
        XCTAssertEqual(t[0, 1, 0], 4)
        XCTAssertEqual(t[1].shape, [3, 4])
        XCTAssertEqual(t[1][2].scalars, [20, 21, 22, 23])
        let copy = t
        t[0, 0, 1] = -1
        XCTAssertEqual(t[0, 0, 1], -1)
        XCTAssertEqual(copy[0, 0, 1], 1, "a write copies shared storage first")
        let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(m[1, 0], 4)
    }

    func testArgmaxAlongTheLastAxis() {
        let logits = Tensor([0.1, 0.7, 0.2, 3, -1, 3, -5, -4, -6], shape: [3, 3])
        XCTAssertEqual(logits.argmax(), [1, 0, 1], "the first of equal values wins")
        XCTAssertEqual(Tensor([2, 9, 4]).argmax(), [1])
        XCTAssertEqual(Tensor((0..<12).map { Float($0 % 5) }, shape: [2, 2, 3]).argmax(), [2, 1, 2, 0])
    }
}
