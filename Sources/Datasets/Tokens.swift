import Foundation

/// Token ids stored once, compactly: 1 byte per token when the vocabulary has at most 256
/// entries, 2 up to 65,536, 4 beyond; in memory or mapped read-only from a prepared corpus file
/// (`PreparedCorpus`), whose pages the processes on one machine share.
public final class TokenBuffer {
    /// Bytes per token: 1, 2 or 4.
    public let width: Int
    /// Tokens in the buffer.
    public let count: Int
    let base: UnsafeRawPointer
    /// Whether the tokens are a read-only mapping of a file (a prepared corpus).
    public let isMapped: Bool
    /// What to do with the memory when the buffer goes: free it, or unmap it.
    private let release: () -> Void

    /// The width that holds ids below `vocabularySize`.
    public static func width(forVocabulary vocabularySize: Int) -> Int {
        vocabularySize <= 1 << 8 ? 1 : vocabularySize <= 1 << 16 ? 2 : 4
    }

    /// A zero-filled buffer of `count` tokens `width` bytes wide, for a reader to fill.
    init(width: Int, count: Int) {
        precondition([1, 2, 4].contains(width), "TokenBuffer: width \(width)")
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, width * count), alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, width * count))
        (self.width, self.count, base, isMapped) = (width, count, UnsafeRawPointer(raw), false)
        release = { raw.deallocate() }
    }

    /// Tokens at `base` (memory the caller hands over, a file's mapping when `mapped`), let go
    /// by `release`.
    init(width: Int, count: Int, base: UnsafeRawPointer, mapped: Bool, release: @escaping () -> Void) {
        (self.width, self.count, self.base, isMapped, self.release) = (width, count, base, mapped, release)
    }

    deinit { release() }

    /// The writable memory of a buffer made by `init(width:count:)`, for the reader that fills it.
    var mutableBase: UnsafeMutableRawPointer { UnsafeMutableRawPointer(mutating: base) }

    /// The token id at `index`.
    @inline(__always)
    public subscript(index: Int) -> Int {
        switch width {
        case 1: Int(base.load(fromByteOffset: index, as: UInt8.self))
        case 2: Int(base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self).littleEndian)
        default: Int(base.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self).littleEndian)
        }
    }

    @inline(__always)
    func store(_ id: Int, at index: Int) {
        switch width {
        case 1: mutableBase.storeBytes(of: UInt8(id), toByteOffset: index, as: UInt8.self)
        case 2: mutableBase.storeBytes(of: UInt16(id).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
        default: mutableBase.storeBytes(of: UInt32(id).littleEndian, toByteOffset: 4 * index, as: UInt32.self)
        }
    }
}

/// A contiguous range of a `TokenBuffer`'s tokens: a corpus, its training or validation part, a
/// stream. Slicing shares the buffer; nothing is copied.
public struct Tokens {
    /// The buffer the tokens are in.
    public let buffer: TokenBuffer
    /// Where this view starts in the buffer.
    public let offset: Int
    /// Tokens in this view.
    public let count: Int

    /// All of `buffer`'s tokens.
    public init(_ buffer: TokenBuffer) { (self.buffer, offset, count) = (buffer, 0, buffer.count) }

    init(_ buffer: TokenBuffer, offset: Int, count: Int) {
        (self.buffer, self.offset, self.count) = (buffer, offset, count)
    }

    /// Tokens held in memory, 1 to 4 bytes each by the largest id.
    public init(_ ids: [Int32]) {
        let buffer = TokenBuffer(width: TokenBuffer.width(forVocabulary: Int(ids.max() ?? 0) + 1), count: ids.count)
        for (i, id) in ids.enumerated() { buffer.store(Int(id), at: i) }
        self.init(buffer)
    }

    /// The token id at `index` of this view.
    @inline(__always)
    public subscript(index: Int) -> Int { buffer[offset + index] }

    /// Tokens `range` of these (indices relative to this view).
    public func slice(_ range: Range<Int>) -> Tokens {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "Tokens: \(range) outside 0..<\(count)")
        return Tokens(buffer, offset: offset + range.lowerBound, count: range.count)
    }

    /// The ids as an array (for tests and small texts).
    public var ids: [Int] { (0..<count).map { self[$0] } }
}
