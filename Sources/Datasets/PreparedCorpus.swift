import Foundation
import SeqTensor

/// A corpus read once and stored as its vocabulary and token ids (`seqtool prepare`), which
/// `train-char` and `eval` map into memory instead of decoding the text again: loading costs
/// nothing, and processes on one machine share the pages.
///
/// The file (little-endian):
///
///     bytes 0..<8      "SEQTOKv1"
///     bytes 8..<16     UInt64 H, the header's length
///     bytes 16..<16+H  the header, JSON: {"format": "seqtool.tokens.v1", "count": N, "width": 1|2|4,
///                      "vocab": [one-character strings, index = id], "source": [files], "source_bytes": S}
///     zero bytes up to the next multiple of 64
///     N * width bytes  the ids
public enum PreparedCorpus {
    /// The first eight bytes of a prepared corpus file.
    public static let magic = Array("SEQTOKv1".utf8)
    /// The `format` of the file's metadata.
    public static let format = "seqtool.tokens.v1"

    /// Whether `path` is a file that starts as a prepared corpus does.
    public static func isPrepared(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return false
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: magic.count)
        return Foundation.read(descriptor, &head, head.count) == head.count && head == magic
    }

    /// Writes `corpus` to `path`, atomically.
    public static func write(_ corpus: Corpus, to path: String) throws {
        let header: [String: Any] = [
            "format": format, "count": corpus.tokens.count, "width": corpus.tokens.buffer.width,
            "vocab": corpus.vocabulary.characters.map { String($0) }, "source": corpus.files,
            "source_bytes": corpus.byteCount,
        ]
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        var head = magic
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { head += $0 }
        head += json
        head += [UInt8](repeating: 0, count: (64 - head.count % 64) % 64)
        let tokens = corpus.tokens, width = tokens.buffer.width
        try AtomicFile.write(to: path) { emit in
            try head.withUnsafeBytes { try emit($0) }
            try emit(
                UnsafeRawBufferPointer(start: tokens.buffer.base + tokens.offset * width, count: tokens.count * width))
        }
    }

    /// Maps the prepared corpus at `path`. Checks everything a corrupt or foreign file could get
    /// wrong (magic, header, sizes, the file's length, every id against the vocabulary) and
    /// throws a `DataError` that names the file and the problem.
    public static func read(path: String) throws -> Corpus {
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw fail("cannot be read (permission denied?)") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw fail("cannot be read") }
        let size = Int(status.st_size)
        guard size >= 16 else { throw fail("is too short to be a prepared corpus (\(size) bytes)") }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED else {
            throw fail("cannot be mapped into memory")
        }
        let base = UnsafeRawPointer(mapped)
        var keep = false
        defer { if !keep { munmap(mapped, size) } }
        guard [UInt8](UnsafeRawBufferPointer(start: base, count: magic.count)) == magic else {
            throw fail("is not a prepared corpus (\(format)); write one with seqtool prepare")
        }
        let rawLength = base.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        guard rawLength > 0, rawLength <= UInt64(size - 16) else {
            throw fail("header length \(rawLength) is corrupt")
        }
        let headerLength = Int(rawLength)
        let json = Data(bytes: base + 16, count: headerLength)
        guard let header = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any],
            header["format"] as? String == format, let count = header["count"] as? Int, count > 0,
            let width = header["width"] as? Int, let vocab = header["vocab"] as? [String]
        else { throw fail("header is not a \(format) header") }
        guard let vocabulary = CharVocabulary(strings: vocab) else {
            throw fail("header vocab is not an array of distinct one-character strings")
        }
        guard width == TokenBuffer.width(forVocabulary: vocabulary.count) else {
            throw fail("ids of width \(width) do not fit a vocabulary of \(vocabulary.count)")
        }
        let start = (16 + headerLength + 63) / 64 * 64
        guard count <= size, size == start + count * width else {
            throw fail(
                "holds \(size - start) bytes of ids, the header says \(count) ids of \(width) bytes (truncated?)")
        }
        let buffer = TokenBuffer(width: width, count: count, base: base + start, mapped: true) { munmap(mapped, size) }
        keep = true
        try checkIDs(Tokens(buffer), below: vocabulary.count, path: path)
        let files = header["source"] as? [String] ?? []
        return Corpus(
            vocabulary: vocabulary, tokens: Tokens(buffer), files: files,
            byteCount: header["source_bytes"] as? Int ?? 0)
    }

    /// Throws unless every id is below `vocabularySize`. Reads the mapping a slice at a time and
    /// lets the kernel drop each slice's pages again, so the check leaves no resident copy.
    static func checkIDs(_ tokens: Tokens, below vocabularySize: Int, path: String) throws {
        var start = 0
        while start < tokens.count {
            let slice = tokens.slice(start..<min(tokens.count, start + (1 << 22)))
            var largest = 0
            for i in 0..<slice.count { largest = max(largest, slice[i]) }
            guard largest < vocabularySize else {
                let at = (0..<slice.count).first { slice[$0] >= vocabularySize }!
                throw DataError(
                    file: path,
                    problem: "id \(slice[at]) at token \(start + at) is outside the vocabulary of \(vocabularySize)")
            }
            release(slice)
            start += slice.count
        }
    }

    /// Lets the kernel drop the pages of `tokens` (of a mapped file) from this process: they are
    /// read again from the file if needed. Nothing for tokens in ordinary memory.
    public static func release(_ tokens: Tokens) {
        let width = tokens.buffer.width, page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard tokens.buffer.isMapped, tokens.count > 0 else { return }
        let first = Int(bitPattern: tokens.buffer.base) + tokens.offset * width
        let aligned = first / page * page
        madvise(UnsafeMutableRawPointer(bitPattern: aligned), first + tokens.count * width - aligned, MADV_DONTNEED)
    }
}
