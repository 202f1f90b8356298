import XCTest

@testable import Interchange

/// The wire format against bytes worked out by hand from the protobuf encoding rules.
final class ProtobufWriterTests: XCTestCase {
    func testVarintsAndKeys() {
        var w = ProtobufWriter()
        w.integer(1, 150)  // key 0x08, 150 = 0x96 0x01
        w.integer(2, -1)  // key 0x10, ten bytes of two's complement
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01, 0x10] + Array(repeating: 0xFF, count: 9) + [0x01])
    }

    func testStringsFloatsAndMessages() {
        var w = ProtobufWriter()
        w.string(3, "LSTM")
        w.string(4, "")  // an empty string is an unset field
        w.float(2, 1)
        w.message(7) { $0.integer(1, 8) }
        XCTAssertEqual(
            w.bytes, [0x1A, 4, 0x4C, 0x53, 0x54, 0x4D, 0x15, 0x00, 0x00, 0x80, 0x3F, 0x3A, 2, 0x08, 0x08])
    }

    func testAttributeCarriesItsType() {
        var w = ProtobufWriter()
        ONNX.Attribute("perm", .ints([1, 0, 2])).encode(&w)
        // name (1) "perm", ints (8) unpacked, type (20) INTS = 7: key of field 20 is 0xA0 0x01.
        XCTAssertEqual(w.bytes, [0x0A, 4, 0x70, 0x65, 0x72, 0x6D, 0x40, 1, 0x40, 0, 0x40, 2, 0xA0, 0x01, 7])
    }

    func testTensorIsLittleEndianRawData() {
        var w = ProtobufWriter()
        ONNX.TensorValue(name: "w", floats: [1, -2], dims: [2]).encode(&w)
        XCTAssertEqual(
            w.bytes,
            [0x08, 2, 0x10, 1, 0x42, 1, 0x77, 0x4A, 8, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    }

    func testGateBlocksReorder() {
        // Four blocks of one row of two values: PyTorch's i, f, g, o -> ONNX's i, o, f, c.
        let pytorch: [Float] = [0, 0, 1, 1, 2, 2, 3, 3]
        XCTAssertEqual(reorderedBlocks(pytorch, blocks: [0, 3, 1, 2], rowsPerBlock: 1), [0, 0, 3, 3, 1, 1, 2, 2])
    }
}
