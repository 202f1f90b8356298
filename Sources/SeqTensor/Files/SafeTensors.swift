import Foundation

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the
/// byte after the header) plus an optional `"__metadata__"` of string to string, then the raw
/// little-endian tensor bytes.
public enum SafeTensors {
    /// Element types seqtool reads and writes.
    public enum DType: String, Sendable {
        case f32 = "F32"
        case f64 = "F64"
        case i32 = "I32"
        case i64 = "I64"

        /// Bytes per element.
        public var byteSize: Int {
            switch self {
            case .f32, .i32: 4
            case .f64, .i64: 8
            }
        }
    }

    /// One stored tensor: its type, shape and raw little-endian bytes.
    public struct Entry: Sendable {
        /// The element type.
        public let dtype: DType
        /// The tensor's shape.
        public let shape: [Int]
        /// The elements, little-endian, row-major.
        public let bytes: [UInt8]

        /// A tensor of `shape` whose elements are `bytes` (count times `dtype.byteSize`).
        public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// A float32 tensor.
        public init(_ tensor: Tensor) {
            var bytes = [UInt8](repeating: 0, count: tensor.count * 4)
            bytes.withUnsafeMutableBytes { raw in
                for i in 0..<tensor.count {
                    raw.storeBytes(of: tensor.pointer[i].bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
            self.init(dtype: .f32, shape: tensor.shape, bytes: bytes)
        }

        /// A tensor of 64-bit integers.
        public init(int64 values: [Int64], shape: [Int]) {
            self.init(dtype: .i64, shape: shape, bytes: Self.littleEndian(values))
        }

        /// A tensor of 32-bit integers.
        public init(int32 values: [Int32], shape: [Int]) {
            self.init(dtype: .i32, shape: shape, bytes: Self.littleEndian(values))
        }

        /// A tensor of doubles.
        public init(float64 values: [Double], shape: [Int]) {
            self.init(dtype: .f64, shape: shape, bytes: Self.littleEndian(values.map(\.bitPattern)))
        }

        /// `values` as little-endian bytes, the file's byte order.
        private static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
            let size = MemoryLayout<T>.size
            var bytes = [UInt8](repeating: 0, count: values.count * size)
            bytes.withUnsafeMutableBytes { raw in
                for (i, v) in values.enumerated() {
                    raw.storeBytes(of: v.littleEndian, toByteOffset: i * size, as: T.self)
                }
            }
            return bytes
        }

        var elementCount: Int { shape.reduce(1, *) }

        /// The values as a float32 tensor (F64 is rounded; integer types are converted).
        public var tensor: Tensor {
            var t = Tensor(uninitialized: shape)
            let p = t.mutablePointer
            bytes.withUnsafeBytes { raw in
                for i in 0..<elementCount {
                    switch dtype {
                    case .f32:
                        p[i] = Float(
                            bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    case .f64:
                        p[i] = Float(
                            Double(
                                bitPattern: UInt64(
                                    littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    case .i32:
                        p[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                    case .i64:
                        p[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                    }
                }
            }
            return t
        }

        /// The values as integers (float types are truncated toward zero; NaN, infinities and
        /// floats beyond Int64's range, which have no integer value, become 0).
        public var integers: [Int64] {
            func whole(_ v: Double) -> Int64 { v.isFinite && abs(v) < 9.2e18 ? Int64(v) : 0 }
            return bytes.withUnsafeBytes { raw in
                (0..<elementCount).map { i -> Int64 in
                    switch dtype {
                    case .i64: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                    case .i32: Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                    case .f32:
                        whole(
                            Double(
                                Float(
                                    bitPattern: UInt32(
                                        littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))))
                    case .f64:
                        whole(
                            Double(
                                bitPattern: UInt64(
                                    littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    }
                }
            }
        }
    }

    /// A whole file: named tensors and the string metadata.
    public struct File: Sendable {
        /// The tensors by name.
        public var tensors: [String: Entry]
        /// The header's `__metadata__`: string keys and values.
        public var metadata: [String: String]

        /// A file of `tensors` and `metadata`.
        public init(tensors: [String: Entry] = [:], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }

        /// The float32 tensor `name`, or an error naming the file and the tensor.
        public func tensor(_ name: String, file: String) throws -> Tensor {
            guard let e = tensors[name] else {
                throw SafeTensorsError(file: file, problem: "no tensor named \"\(name)\"")
            }
            return e.tensor
        }
    }

    /// The largest header accepted (the reference implementation's limit): a corrupt length
    /// field is an error, never an allocation.
    public static let maximumHeaderBytes = 100_000_000

    /// Encodes `file` as safetensors bytes. Tensors are laid out in name order.
    public static func encode(_ file: File) -> [UInt8] {
        var header: [String: Any] = [:]
        if !file.metadata.isEmpty { header["__metadata__"] = file.metadata }
        var offset = 0
        let names = file.tensors.keys.sorted()
        for name in names {
            let e = file.tensors[name]!
            header[name] =
                ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
                as [String: Any]
            offset += e.bytes.count
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (json.count % 8) != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for name in names { out.append(contentsOf: file.tensors[name]!.bytes) }
        return out
    }

    /// Writes `file` to `path` atomically (temporary file beside it, then rename).
    public static func write(_ file: File, to path: String) throws {
        try AtomicFile.write(Data(encode(file)), to: path)
    }

    /// Reads the safetensors file at `path`.
    public static func read(path: String) throws -> File { try decode(readBytes(path: path), file: path) }

    /// The bytes of the file at `path`, with the errors `read(path:)` gives for a missing file or
    /// a folder (for a caller that sends them elsewhere before decoding).
    public static func readBytes(path: String) throws -> [UInt8] {
        let data: Data
        do {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw SafeTensorsError(file: path, problem: "is a folder, not a safetensors file")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let e as SafeTensorsError {
            throw e
        } catch {
            throw SafeTensorsError(file: path, problem: "cannot be read (\(describeReadFailure(path)))")
        }
        return [UInt8](data)
    }

    /// Decodes safetensors bytes; `file` names the source in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> File {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: file, problem: problem) }
        guard bytes.count >= 8 else {
            throw fail("is \(bytes.count) bytes long, shorter than the 8-byte header length")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maximumHeaderBytes) else {
            throw fail("header length \(length) exceeds the \(maximumHeaderBytes)-byte limit")
        }
        guard 8 + Int(length) <= bytes.count else {
            throw fail("header length \(length) runs past the end of the file (\(bytes.count) bytes)")
        }
        let headerBytes = bytes[8..<(8 + Int(length))]
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = object as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataStart = 8 + Int(length)
        let dataCount = bytes.count - dataStart
        var result = File()
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("__metadata__ value for \"\(k)\" is not a string") }
                    result.metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else {
                throw fail("tensor \"\(name)\" is not described by an object")
            }
            guard let dtypeName = info["dtype"] as? String else { throw fail("tensor \"\(name)\" has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor \"\(name)\" has unsupported dtype \(dtypeName)")
            }
            guard let shapeAny = info["shape"] as? [Any], let shape = integers(shapeAny), shape.allSatisfy({ $0 >= 0 })
            else {
                throw fail("tensor \"\(name)\" has no valid shape")
            }
            guard let offAny = info["data_offsets"] as? [Any], let offsets = integers(offAny), offsets.count == 2 else {
                throw fail("tensor \"\(name)\" has no valid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataCount else {
                throw fail("tensor \"\(name)\" data_offsets [\(begin), \(end)] lie outside the \(dataCount) data bytes")
            }
            var elements = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataCount else {
                    throw fail("tensor \"\(name)\" shape \(shape) is larger than the file")
                }
                elements = product
            }
            guard elements * dtype.byteSize == end - begin else {
                throw fail(
                    "tensor \"\(name)\" of dtype \(dtypeName) and shape \(shape) needs \(elements * dtype.byteSize) "
                        + "bytes, data_offsets give \(end - begin)"
                )
            }
            ranges.append((begin, end, name))
            result.tensors[name] = Entry(
                dtype: dtype, shape: shape, bytes: Array(bytes[(dataStart + begin)..<(dataStart + end)]))
        }
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 {
            throw fail("tensors \"\(ranges[i - 1].2)\" and \"\(ranges[i].2)\" overlap")
        }
        return result
    }

    static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }
}

/// A safetensors file that cannot be used, with the file and what is wrong with it.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The file that is not valid safetensors, or lacks what was asked for.
    public let file: String
    /// What is wrong, naming the tensor when there is one.
    public let problem: String

    /// An error in `file`.
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    /// "file: problem".
    public var description: String { "\(file): \(problem)" }
}

/// Why `path` could not be read, in words (missing, permission, ...).
func describeReadFailure(_ path: String) -> String {
    let fm = FileManager.default
    if !fm.fileExists(atPath: path) { return "no such file" }
    if !fm.isReadableFile(atPath: path) { return "permission denied" }
    return "read error"
}
