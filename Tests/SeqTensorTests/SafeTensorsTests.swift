import Foundation
import SeqTensor
import XCTest

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensors.File {
        SafeTensors.File(
            tensors: [
                "w": SafeTensors.Entry(Tensor([1.5, -2, 3, 4e-20, .infinity, 0], shape: [2, 3])),
                "ids": SafeTensors.Entry(int64: [1, -2, 3], shape: [3]),
                "small": SafeTensors.Entry(int32: [7, 8], shape: [2]),
                "d": SafeTensors.Entry(float64: [0.1, 0.2], shape: [1, 2]),
                "empty": SafeTensors.Entry(Tensor(zeros: [0, 4])),
            ],
            metadata: ["format": "seqtool.test", "vocab": "[\"a\",\"\\\"\"]"]
        )
    }

    func testRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensors.write(sample(), to: path)
        let back = try SafeTensors.read(path: path)
        XCTAssertEqual(back.metadata, sample().metadata)
        XCTAssertEqual(back.tensors["w"]!.tensor, Tensor([1.5, -2, 3, 4e-20, .infinity, 0], shape: [2, 3]))
        XCTAssertEqual(back.tensors["ids"]!.integers, [1, -2, 3])
        XCTAssertEqual(back.tensors["small"]!.integers, [7, 8])
        XCTAssertEqual(back.tensors["d"]!.tensor.scalars, [0.1, 0.2])
        XCTAssertEqual(back.tensors["d"]!.dtype, .f64)
        XCTAssertEqual(back.tensors["empty"]!.shape, [0, 4])
        // The header is padded to 8 bytes, as the reference writer does.
        let bytes = SafeTensors.encode(sample())
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
    }

    /// Bytes of a file whose header is `json` followed by `data`.
    func file(_ json: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let h = Array(json.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian) { out += $0 }
        return out + h + data
    }

    func assertError(_ bytes: [UInt8], contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(bytes, file: "m.safetensors"), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(error is SafeTensorsError, file: file, line: line)
            XCTAssertTrue(message.hasPrefix("m.safetensors: "), message, file: file, line: line)
            XCTAssertTrue(message.contains(text), "\"\(message)\" does not mention \"\(text)\"", file: file, line: line)
        }
    }

    func testMalformedFilesGiveTypedErrorsNamingTheProblem() {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertNoThrow(try SafeTensors.decode(file(ok, data: Array(repeating: 0, count: 8)), file: "m"))
        assertError([1, 2, 3], contains: "shorter than the 8-byte header length")
        assertError(file(ok, data: [], length: 1 << 60), contains: "exceeds")
        assertError(file(ok, data: [], length: 5000), contains: "runs past the end")
        assertError(file("{not json", data: []), contains: "not valid JSON")
        assertError(file("[1,2]", data: []), contains: "not a JSON object")
        assertError(file(ok, data: Array(repeating: 0, count: 4)), contains: "outside")
        assertError(
            file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
            contains: "needs 12 bytes")
        assertError(
            file(#"{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
            contains: "unsupported dtype BF16")
        assertError(
            file(
                #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
                    + #""b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
                data: Array(repeating: 0, count: 8)), contains: "overlap")
        assertError(
            file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 4)),
            contains: "shape")
        assertError(
            file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: Array(repeating: 0, count: 4)),
            contains: "data_offsets")
        assertError(
            file(
                #"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}"#,
                data: Array(repeating: 0, count: 4)),
            contains: "larger than the file")
        assertError(file(#"{"__metadata__":{"k":5}}"#), contains: "not a string")
        assertError(
            file(#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 4)),
            contains: "no dtype")
    }

    func testReadingAFolderOrAMissingFileNamesIt() {
        XCTAssertThrowsError(try SafeTensors.read(path: "/nonexistent/m.safetensors")) { e in
            XCTAssertEqual("\(e)", "/nonexistent/m.safetensors: cannot be read (no such file)")
        }
        XCTAssertThrowsError(try SafeTensors.read(path: NSTemporaryDirectory())) { e in
            XCTAssertTrue("\(e)".contains("is a folder"))
        }
    }

    func testAtomicWriteLeavesNoTemporaryFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SafeTensors.write(sample(), to: dir + "/m.safetensors")
        try SafeTensors.write(sample(), to: dir + "/m.safetensors")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.safetensors"])
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir + "/missing/m.txt"))
    }
}
