import Foundation

/// The UTF-8 text of a user's data file at `path`, described as `kind` ("a CSV file") in the
/// error for a folder; missing, unreadable or non-UTF-8 files are errors naming the file.
public func readUserText(_ path: String, kind: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw DataError(file: path, problem: "no such file")
    }
    guard !isDirectory.boolValue else { throw DataError(file: path, problem: "is a folder, not \(kind)") }
    guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path) else {
        throw DataError(file: path, problem: "cannot be read (permission denied?)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw DataError(file: path, problem: "is not UTF-8 text")
    }
    return text
}

/// Throws unless the model file at `path` (metadata `metadata`) has `format`, naming what the
/// file is instead and what was expected (`kind`, e.g. "a classifier").
public func requireFormat(_ metadata: [String: String], _ format: String, kind: String, path: String) throws {
    guard metadata["format"] == format else {
        throw DataError(
            file: path,
            problem: "is \(metadata["format"].map { "a \($0) file" } ?? "not a seqtool model"), not \(kind) (\(format))"
        )
    }
}

/// The whole number under `key` in a model file's metadata, in 1...`limit`; otherwise an error
/// naming the file and the key, so that a corrupt size never becomes a huge allocation.
public func requireMetadataInt(_ metadata: [String: String], _ key: String, limit: Int, path: String) throws -> Int {
    guard let v = metadata[key].flatMap(Int.init), v > 0, v <= limit else {
        throw DataError(file: path, problem: "metadata \(key) is missing or not an integer in 1...\(limit)")
    }
    return v
}

/// A problem with a user's data file: which file, where in it, and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file (or flag, or source) the bad input came from.
    public let file: String
    /// 1-based line number, when the problem is on one line.
    public let line: Int?
    /// 1-based column (CSV field), when the problem is in one field.
    public let column: Int?
    /// What is wrong, in a sentence.
    public let problem: String

    /// An error at `file`, and the 1-based `line` and `column` when known.
    public init(file: String, line: Int? = nil, column: Int? = nil, problem: String) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
    }

    /// "file:line:column: problem", as compilers write it.
    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(problem)"
    }
}
