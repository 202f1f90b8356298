import Foundation
import SeqTensor

/// A text corpus as a character model reads it: its vocabulary (the sorted distinct Unicode
/// scalars, as Python's `sorted(set(text))` and char-rnn number them) and its token ids.
public struct Corpus {
    /// The characters the corpus holds (or the vocabulary it was read against).
    public let vocabulary: CharVocabulary
    /// One token id per character of the text, in order.
    public let tokens: Tokens
    /// The files read, in order (empty for a text given as bytes).
    public let files: [String]
    /// The size of the text in bytes.
    public let byteCount: Int

    /// A corpus of `tokens` over `vocabulary`, read from `files`.
    public init(vocabulary: CharVocabulary, tokens: Tokens, files: [String], byteCount: Int) {
        (self.vocabulary, self.tokens, self.files, self.byteCount) = (vocabulary, tokens, files, byteCount)
    }
}

/// Reads UTF-8 text into a `Corpus` in two streaming passes over the bytes (one to find the
/// vocabulary and count the characters, one to write the ids), a few megabytes at a time: what
/// stays in memory is the ids, one byte per character for a vocabulary of up to 256.
public enum CorpusReader {
    /// Bytes read from a file at a time.
    public static let chunkBytes = 8 << 20
    /// Tokens handed out at a time by `forEachPiece`.
    static let pieceTokens = 1 << 20

    /// Reads `path`, a file or a folder of text files (every regular file in name order, hidden
    /// ones skipped). With `vocabulary` the ids are that vocabulary's (a character outside it is
    /// an error naming the file and line); without, the text's own. `progress` is called after
    /// every chunk with the bytes done and the bytes in all (twice over: once per pass).
    /// Errors name the file: missing or unreadable, not UTF-8 (with the byte offset), empty.
    public static func read(
        path: String, vocabulary: CharVocabulary? = nil, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> Corpus {
        try read(path: path, vocabulary: vocabulary, chunkBytes: chunkBytes, progress: progress)
    }

    /// `read(path:vocabulary:progress:)`, `chunkBytes` at a time (tests cut sequences with small chunks).
    static func read(
        path: String, vocabulary: CharVocabulary?, chunkBytes: Int, progress: ((_ done: Int, _ total: Int) -> Void)?
    ) throws -> Corpus {
        let files = try textFiles(at: path)
        let total = try files.reduce(0) { $0 + (try size(of: $1)) }
        var done = 0
        let (read, buffer) = try bothPasses(over: files, empty: path, vocabulary: vocabulary) { file, body in
            try forEachChunk(of: file, bytes: chunkBytes) { chunk, offset in
                try body(chunk, offset)
                done += chunk.count
                progress?(done, 2 * total)
            }
        }
        return Corpus(vocabulary: read, tokens: Tokens(buffer), files: files, byteCount: total)
    }

    /// The corpus of UTF-8 `bytes` (a built-in text, a fuzzer's input); `source` names them in errors.
    public static func read(bytes: [UInt8], source: String, vocabulary: CharVocabulary? = nil) throws -> Corpus {
        let (read, buffer) = try bothPasses(over: [source], empty: source, vocabulary: vocabulary) { _, body in
            try bytes.withUnsafeBufferPointer { try body($0, 0) }
        }
        return Corpus(vocabulary: read, tokens: Tokens(buffer), files: [], byteCount: bytes.count)
    }

    /// The two passes over `sources`, each fed to the pass chunk by chunk by `chunks(source, take)`:
    /// the vocabulary (the given one, or the text's) and the ids. `empty` names a text of none.
    private static func bothPasses(
        over sources: [String], empty: String, vocabulary: CharVocabulary?,
        chunks: (String, (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws -> Void
    ) throws -> (CharVocabulary, TokenBuffer) {
        var scan = VocabularyScan()
        for source in sources {
            try chunks(source) { try scan.take($0, at: $1, source: source) }
            try scan.finish(source: source)
        }
        guard scan.count > 0 else { throw DataError(file: empty, problem: "corpus is empty") }
        let vocabulary = vocabulary ?? scan.vocabulary
        let buffer = TokenBuffer(width: TokenBuffer.width(forVocabulary: vocabulary.count), count: scan.count)
        var encoder = Encoder(vocabulary: vocabulary, sink: BufferSink(buffer))
        for source in sources {
            encoder.startFile()
            try chunks(source) { try encoder.take($0, at: $1, source: source) }
            try encoder.finish(source: source)
        }
        return (vocabulary, buffer)
    }

    /// Calls `body` with the ids of the corpus at `path` (text, or a prepared corpus made with
    /// `vocabulary`), a piece at a time and in order, holding only a piece in memory.
    public static func forEachPiece(
        ofCorpus path: String, vocabulary: CharVocabulary, _ body: ([Int]) throws -> Void
    ) throws {
        if PreparedCorpus.isPrepared(path) {
            let tokens = try Corpus.load(path: path, vocabulary: vocabulary).tokens
            var start = 0
            while start < tokens.count {
                let end = min(tokens.count, start + pieceTokens)
                try body((start..<end).map { tokens[$0] })
                PreparedCorpus.release(tokens.slice(start..<end))
                start = end
            }
            return
        }
        var encoder = Encoder(vocabulary: vocabulary, sink: [Int]())
        for file in try textFiles(at: path) {
            encoder.startFile()
            try forEachChunk(of: file, bytes: pieceTokens) { chunk, offset in
                try encoder.take(chunk, at: offset, source: file)
                try body(encoder.sink)
                encoder.sink.removeAll(keepingCapacity: true)
            }
            try encoder.finish(source: file)
        }
    }

    /// The text files `path` names: itself, or the regular files of the folder in name order.
    public static func textFiles(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, problem: "no such file or folder")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw DataError(file: path, problem: "cannot list the folder (permission denied?)")
        }
        var files: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            var sub: ObjCBool = false
            let full = (path as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { files.append(full) }
        }
        if files.isEmpty { throw DataError(file: path, problem: "folder holds no text files") }
        return files
    }

    static func size(of file: String) throws -> Int {
        guard FileManager.default.isReadableFile(atPath: file),
            let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let size = attributes[.size] as? Int
        else { throw DataError(file: file, problem: "cannot be read (permission denied?)") }
        return size
    }

    /// Calls `body` with each chunk of `file`'s bytes (`bytes` at a time) and its offset in the file.
    public static func forEachChunk(
        of file: String, bytes chunkBytes: Int = chunkBytes, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws {
        let descriptor = open(file, O_RDONLY)
        guard descriptor >= 0 else { throw DataError(file: file, problem: "cannot be read (permission denied?)") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunkBytes)
        defer { buffer.deallocate() }
        var offset = 0
        while true {
            let n = Foundation.read(descriptor, buffer.baseAddress, chunkBytes)
            guard n >= 0 else { throw DataError(file: file, problem: "cannot be read (I/O error at byte \(offset))") }
            if n == 0 { return }
            try body(UnsafeBufferPointer(rebasing: buffer[0..<n]), offset)
            offset += n
        }
    }
}

/// Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), decoded chunk by
/// chunk: a sequence cut by a chunk's end is finished with the next chunk.
struct UTF8Chunks {
    /// The start of a sequence cut by the last chunk's end, and its offset in the file.
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    /// Calls `scalar(value, byteOffset)` for every scalar of `chunk` (at `offset` in the file).
    /// `ascii(byte)` takes the one-byte ones, the bulk of most text, on a path of their own.
    @inline(__always)
    mutating func decode(
        _ chunk: UnsafeBufferPointer<UInt8>, at offset: Int, source: String,
        ascii: (UInt8) throws -> Void, scalar: (UInt32) throws -> Void
    ) throws {
        var i = 0
        if !pending.isEmpty {
            // Complete the cut sequence with the first bytes of this chunk.
            let need = Self.length(pending[0]) - pending.count
            guard chunk.count >= need else {
                pending += chunk
                return
            }
            var bytes = pending
            bytes += chunk[0..<need]
            let value = try bytes.withUnsafeBufferPointer {
                try Self.sequence($0, at: 0, length: $0.count, source: source, offset: pendingOffset)
            }
            try scalar(value)
            i = need
            pending = []
        }
        let n = chunk.count
        while i < n {
            let b = chunk[i]
            if b < 0x80 {
                try ascii(b)
                i += 1
                continue
            }
            let length = Self.length(b)
            guard length > 1 else { throw Self.error(source, offset + i) }
            if i + length > n {
                pending = Array(chunk[i..<n])
                pendingOffset = offset + i
                return
            }
            try scalar(try Self.sequence(chunk, at: i, length: length, source: source, offset: offset + i))
            i += length
        }
    }

    /// Throws if the text ended inside a sequence.
    func finish(source: String) throws {
        if !pending.isEmpty { throw Self.error(source, pendingOffset) }
    }

    /// Bytes of the sequence a lead byte starts (0 for a byte that cannot start one).
    @inline(__always)
    static func length(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00..<0x80: 1
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
    }

    /// The scalar of the `length`-byte sequence at `i`, checked as the Unicode standard's table
    /// of well-formed sequences has it.
    static func sequence(
        _ bytes: UnsafeBufferPointer<UInt8>, at i: Int, length: Int, source: String, offset: Int
    ) throws -> UInt32 {
        let lead = bytes[i]
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length {
            let b = bytes[i + k]
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            if k == 1 {
                switch lead {
                case 0xE0: low = 0xA0
                case 0xED: high = 0x9F
                case 0xF0: low = 0x90
                case 0xF4: high = 0x8F
                default: break
                }
            }
            guard b >= low && b <= high else { throw error(source, offset) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return value
    }

    static func error(_ source: String, _ offset: Int) -> DataError {
        DataError(file: source, problem: "is not valid UTF-8 text (bad byte at offset \(offset))")
    }
}

/// Pass 1: the distinct scalars and how many there are.
struct VocabularyScan {
    private var decoder = UTF8Chunks()
    private var seenASCII = [Bool](repeating: false, count: 128)
    private var others = Set<UInt32>()
    private(set) var count = 0

    mutating func take(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int, source: String) throws {
        var count = self.count
        try seenASCII.withUnsafeMutableBufferPointer { seen in
            try decoder.decode(
                chunk, at: offset, source: source,
                ascii: { byte in
                    seen[Int(byte)] = true
                    count += 1
                },
                scalar: { value in
                    others.insert(value)
                    count += 1
                })
        }
        self.count = count
    }

    mutating func finish(source: String) throws {
        try decoder.finish(source: source)
        decoder = UTF8Chunks()
    }

    var vocabulary: CharVocabulary {
        let values = (0..<128).filter { seenASCII[$0] }.map(UInt32.init) + others.sorted()
        return CharVocabulary(characters: values.map { Unicode.Scalar($0)! })
    }
}

/// Where an `Encoder` puts the ids: a token buffer, or an array for a text read piece by piece.
protocol TokenSink {
    mutating func append(_ id: Int)
}

extension Array: TokenSink where Element == Int {}

/// Ids written one after the other into a `TokenBuffer`.
struct BufferSink: TokenSink {
    let buffer: TokenBuffer
    private var written = 0

    init(_ buffer: TokenBuffer) { self.buffer = buffer }

    @inline(__always)
    mutating func append(_ id: Int) {
        buffer.store(id, at: written)
        written += 1
    }
}

/// Pass 2: the ids of the scalars, by `vocabulary`, into `sink`.
struct Encoder<Sink: TokenSink> {
    let vocabulary: CharVocabulary
    var sink: Sink
    private var decoder = UTF8Chunks()
    /// Ids of the one-byte scalars (-1: not in the vocabulary), and of the others.
    private var asciiIDs = [Int](repeating: -1, count: 128)
    private var otherIDs: [UInt32: Int] = [:]
    /// 1-based line of the text being read, for errors.
    private var line = 1

    init(vocabulary: CharVocabulary, sink: Sink) {
        (self.vocabulary, self.sink) = (vocabulary, sink)
        for (id, c) in vocabulary.characters.enumerated() {
            if c.value < 128 { asciiIDs[Int(c.value)] = id } else { otherIDs[c.value] = id }
        }
    }

    mutating func startFile() { line = 1 }

    mutating func take(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int, source: String) throws {
        var (sink, line) = (self.sink, self.line)
        defer { (self.sink, self.line) = (sink, line) }
        let (otherIDs, vocabulary) = (self.otherIDs, self.vocabulary)
        func unknown(_ value: UInt32) -> DataError {
            vocabulary.unknownCharacter(Unicode.Scalar(value)!, source: source, line: line)
        }
        try asciiIDs.withUnsafeBufferPointer { asciiIDs in
            try decoder.decode(
                chunk, at: offset, source: source,
                ascii: { byte in
                    let id = asciiIDs[Int(byte)]
                    guard id >= 0 else { throw unknown(UInt32(byte)) }
                    sink.append(id)
                    if byte == 10 { line += 1 }
                },
                scalar: { value in
                    guard let id = otherIDs[value] else { throw unknown(value) }
                    sink.append(id)
                })
        }
    }

    mutating func finish(source: String) throws {
        try decoder.finish(source: source)
        decoder = UTF8Chunks()
    }
}

extension Corpus {
    /// The corpus at `path`: a prepared corpus (`PreparedCorpus`), mapped, or text, read. With
    /// `vocabulary` (a model's) the ids are that vocabulary's; a prepared corpus must have been
    /// made with the same one.
    public static func load(
        path: String, vocabulary: CharVocabulary? = nil, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> Corpus {
        guard PreparedCorpus.isPrepared(path) else {
            return try CorpusReader.read(path: path, vocabulary: vocabulary, progress: progress)
        }
        let corpus = try PreparedCorpus.read(path: path)
        if let vocabulary, vocabulary != corpus.vocabulary {
            throw DataError(
                file: path,
                problem: "was prepared with another vocabulary (\(corpus.vocabulary.count) characters) than the "
                    + "model's (\(vocabulary.count)); prepare it again or give the text itself")
        }
        return corpus
    }
}
