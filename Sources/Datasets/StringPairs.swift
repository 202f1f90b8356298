import Foundation
import SeqTensor

/// Pairs of strings for sequence-to-sequence training: a TSV file of `input<TAB>output` lines.
public struct StringPairs {
    /// The pairs, in file order.
    public var pairs: [(input: String, output: String)]

    /// A set of `pairs`.
    public init(pairs: [(input: String, output: String)]) { self.pairs = pairs }

    /// Reads `path`; a line without exactly one tab, or a file that is not UTF-8, is an error
    /// naming the file and line.
    public init(tsv path: String) throws {
        try self.init(tsvText: readUserText(path, kind: "a pairs file"), source: path)
    }

    /// Parses TSV text; `source` names it in errors.
    public init(tsvText text: String, source path: String) throws {
        var pairs: [(String, String)] = []
        // "\r\n" is one Character in Swift, and a newline like "\n": Windows files split as Unix ones.
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.isEmpty { continue }
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw DataError(
                    file: path, line: i + 1, problem: "needs input<TAB>output, found \(parts.count - 1) tabs")
            }
            guard !parts[0].isEmpty, !parts[1].isEmpty else {
                throw DataError(file: path, line: i + 1, problem: "input and output must not be empty")
            }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        guard !pairs.isEmpty else { throw DataError(file: path, problem: "holds no pairs") }
        self.init(pairs: pairs)
    }

    /// The pairs as TSV text, one line each.
    public var tsv: String { pairs.map { "\($0.input)\t\($0.output)\n" }.joined() }

    /// Random digit strings of `minDigits`...`maxDigits` and their reversal.
    public static func reverse(count: Int, minDigits: Int, maxDigits: Int, generator: inout SeededGenerator)
        -> StringPairs
    {
        StringPairs(
            pairs: (0..<count).map { _ in
                let n = minDigits + generator.nextInt(below: maxDigits - minDigits + 1)
                let s = String((0..<n).map { _ in Character(String(generator.nextInt(below: 10))) })
                return (s, String(s.reversed()))
            })
    }

    /// "a+b" and its sum, a and b with 1...maxDigits digits each.
    public static func addition(count: Int, maxDigits: Int, generator: inout SeededGenerator) -> StringPairs {
        func number() -> Int {
            let digits = 1 + generator.nextInt(below: maxDigits)
            return generator.nextInt(below: Int(pow(10, Double(digits))))
        }
        return StringPairs(
            pairs: (0..<count).map { _ in
                let a = number(), b = number()
                return ("\(a)+\(b)", "\(a + b)")
            })
    }
}
