import Foundation
import SeqTensor

/// Text read as Unicode scalars (code points, as Python's `str` iterates them, so a model's
/// vocabulary matches PyTorch's `sorted(set(text))`), from one file or from every regular file
/// of a folder in name order.
public struct TextCorpus {
    public let text: [Unicode.Scalar]
    /// The files read, in order.
    public let files: [String]

    public init(scalars: [Unicode.Scalar], files: [String] = []) {
        text = scalars
        self.files = files
    }

    /// Reads `path`, a file or a folder of text files. Throws a `DataError` naming the file for a
    /// missing or unreadable path, invalid UTF-8 (with the byte offset), or no text at all.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, problem: "no such file or folder")
        }
        var files: [String] = []
        if isDirectory.boolValue {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                throw DataError(file: path, problem: "cannot list the folder (permission denied?)")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                var sub: ObjCBool = false
                let full = (path as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue {
                    files.append(full)
                }
            }
            if files.isEmpty { throw DataError(file: path, problem: "folder holds no text files") }
        } else {
            files = [path]
        }
        var scalars: [Unicode.Scalar] = []
        for file in files { scalars += try TextCorpus.decode(file) }
        if scalars.isEmpty { throw DataError(file: path, problem: "corpus is empty") }
        self.init(scalars: scalars, files: files)
    }

    /// The Unicode scalars of one UTF-8 file.
    static func decode(_ file: String) throws -> [Unicode.Scalar] {
        guard FileManager.default.isReadableFile(atPath: file), let data = FileManager.default.contents(atPath: file)
        else {
            throw DataError(file: file, problem: "cannot be read (permission denied?)")
        }
        return try decode(data, source: file)
    }

    /// The Unicode scalars of UTF-8 bytes; `source` names them in errors.
    public static func decode<Bytes: Sequence>(_ data: Bytes, source file: String) throws -> [Unicode.Scalar]
    where Bytes.Element == UInt8 {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(data.underestimatedCount)
        var decoder = UTF8()
        var iterator = data.makeIterator()
        var consumed = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s)
                consumed += UTF8.width(s)
            case .emptyInput:
                break loop
            case .error:
                throw DataError(file: file, problem: "is not valid UTF-8 text (bad byte at offset \(consumed))")
            }
        }
        return scalars
    }
}
