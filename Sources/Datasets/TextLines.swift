import Foundation

/// The lines of a user's text file that hold more than spaces and tabs, with their 1-based line
/// numbers for errors. "\r\n" is one Character in Swift, and a newline like "\n", so Windows files
/// split as Unix ones (splitting on "\n" alone would leave them one line); a byte-order mark before
/// the first line is dropped.
func nonBlankLines(_ text: String) -> [(number: Int, text: Substring)] {
    var lines: [(number: Int, text: Substring)] = []
    for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
        let line = index == 0 && raw.hasPrefix("\u{FEFF}") ? raw.dropFirst() : raw
        if !line.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.append((index + 1, line)) }
    }
    return lines
}

/// The comma-separated fields of a CSV line, each trimmed of spaces.
func csvFields(_ line: Substring) -> [String] {
    line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
}
