import Foundation
import SeqTensor

/// The characters of a character model, sorted by code point (index = token id), as
/// char-rnn and PyTorch's `sorted(set(text))` number them.
public struct CharVocabulary: Equatable {
    /// The characters; a character's index is its token id.
    public let characters: [Unicode.Scalar]
    let index: [Unicode.Scalar: Int]

    /// A vocabulary of `characters` in the order given (distinct).
    public init(characters: [Unicode.Scalar]) {
        self.characters = characters
        index = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
    }

    /// The sorted distinct characters of `text`.
    public init(text: [Unicode.Scalar]) {
        self.init(characters: Set(text).sorted { $0.value < $1.value })
    }

    /// The number of characters (V).
    public var count: Int { characters.count }

    /// The token id of `c`, or nil when it is not in the vocabulary.
    public func id(of c: Unicode.Scalar) -> Int? { index[c] }

    /// Token ids of `text`; throws with the first character not in the vocabulary.
    public func encode(_ text: [Unicode.Scalar], source: String) throws -> [Int32] {
        var ids = [Int32]()
        ids.reserveCapacity(text.count)
        var line = 1
        for c in text {
            guard let i = index[c] else { throw unknownCharacter(c, source: source, line: line) }
            if c == "\n" { line += 1 }
            ids.append(Int32(i))
        }
        return ids
    }

    /// The error for character `c`, outside this vocabulary, at `line` of `source`.
    public func unknownCharacter(_ c: Unicode.Scalar, source: String, line: Int) -> DataError {
        DataError(
            file: source, line: line, problem: "character \(Self.show(c)) is not in the model's vocabulary of \(count)")
    }

    /// The text of token `ids`.
    public func decode(_ ids: [Int]) -> String {
        var s = String.UnicodeScalarView()
        for i in ids { s.append(characters[i]) }
        return String(s)
    }

    /// The vocabulary as the JSON array of one-character strings stored in model files.
    public var json: String {
        let data = try! JSONSerialization.data(withJSONObject: characters.map { String($0) }, options: [])
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses the JSON array form; nil unless it is an array of one-scalar strings without repeats.
    public init?(json: String) {
        guard let array = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String] else { return nil }
        self.init(strings: array)
    }

    /// The vocabulary of one-scalar strings (index = id); nil for a longer string or a repeat.
    public init?(strings: [String]) {
        var chars: [Unicode.Scalar] = []
        for s in strings {
            guard s.unicodeScalars.count == 1 else { return nil }
            chars.append(s.unicodeScalars.first!)
        }
        guard Set(chars).count == chars.count, !chars.isEmpty else { return nil }
        self.init(characters: chars)
    }

    static func show(_ c: Unicode.Scalar) -> String {
        c.properties.isWhitespace || c.value < 32
            ? String(format: "U+%04X", c.value) : "'\(c)' (U+\(String(format: "%04X", c.value)))"
    }
}
