import Foundation

/// The lines of a user's text file that hold more than spaces and tabs, with their 1-based line
/// numbers for errors. Lines end where `Character.isNewline` says ("\n", "\r\n", "\r", and the
/// rarer U+000B, U+000C, U+0085, U+2028, U+2029), so Windows files split as Unix ones; a byte-order
/// mark before the first line is dropped. The bytes are scanned directly: Character by Character,
/// a large CSV file took seconds.
func nonBlankLines(_ text: String) -> [(number: Int, text: Substring)] {
    var lines: [(number: Int, text: Substring)] = []
    let utf8 = text.utf8
    var start = utf8.startIndex, i = start, number = 0
    func finish(_ end: String.Index) {
        number += 1
        var line = text[start..<end]
        if number == 1 && line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
        if !line.utf8.allSatisfy({ $0 == 32 || $0 == 9 }) { lines.append((number, line)) }
    }
    while i < utf8.endIndex {
        let byte = utf8[i]
        // The length of the line break starting here (0: none).
        var width = 0
        if byte >= 0x0A && byte <= 0x0D {
            let next = utf8.index(after: i)
            width = byte == 0x0D && next < utf8.endIndex && utf8[next] == 0x0A ? 2 : 1
        } else if byte == 0xC2 || byte == 0xE2 {
            let rest = utf8[i...].prefix(3)
            if rest.starts(with: [0xC2, 0x85]) { width = 2 }
            if rest.elementsEqual([0xE2, 0x80, 0xA8]) || rest.elementsEqual([0xE2, 0x80, 0xA9]) { width = 3 }
        }
        if width == 0 {
            i = utf8.index(after: i)
            continue
        }
        finish(i)
        i = utf8.index(i, offsetBy: width)
        start = i
    }
    finish(utf8.endIndex)
    return lines
}

/// The comma-separated fields of a CSV line, each trimmed of white space. (Split on the UTF-8
/// bytes and trimmed in Swift: Foundation's `trimmingCharacters` goes through UTF-16 and was most
/// of the time reading a large CSV file.)
func csvFields(_ line: Substring) -> [String] {
    splitFields(line, at: ",").map(String.init)
}

/// The parts of `text` between the `separator`s (an ASCII character), each trimmed of white
/// space, split on the UTF-8 bytes.
func splitFields(_ text: Substring, at separator: Unicode.Scalar) -> [Substring] {
    text.utf8.split(separator: UInt8(ascii: separator), omittingEmptySubsequences: false).map {
        trimmingSpaces(Substring($0))
    }
}

/// `field` without the white space at its ends. ASCII bytes answer at once; anything else asks
/// Character (non-breaking spaces and such).
func trimmingSpaces(_ field: Substring) -> Substring {
    func isSpace(_ byte: UInt8?, _ character: @autoclosure () -> Character?) -> Bool {
        guard let byte else { return false }
        return byte < 0x80 ? byte == 32 || (byte >= 9 && byte <= 13) : character()?.isWhitespace ?? false
    }
    var field = field
    while isSpace(field.utf8.first, field.first) { field.removeFirst() }
    while isSpace(field.utf8.last, field.last) { field.removeLast() }
    return field
}
