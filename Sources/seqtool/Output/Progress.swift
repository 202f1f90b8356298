import Foundation

/// Training progress on standard error: a bar redrawn in place when stderr is a terminal,
/// plain log lines every `logEvery` steps otherwise (logs and CI stay readable).
final class Progress {
    let total: Int
    let interactive: Bool
    let logEvery: Int
    let start = Date()
    var lastDraw = Date.distantPast

    init(total: Int, logEvery: Int) {
        self.total = total
        self.logEvery = max(1, logEvery)
        interactive = isatty(STDERR_FILENO) == 1
    }

    /// Reports step `step` (1-based) with the fields given (in order).
    func update(step: Int, fields: [(String, String)], tokensPerSecond: Double?) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = step > 0 ? elapsed / Double(step) * Double(total - step) : 0
        var text = fields.map { "\($0.0) \($0.1)" }.joined(separator: "  ")
        if let tps = tokensPerSecond { text += "  \(Int(tps)) tok/s" }
        text += "  ETA \(Progress.clock(eta))"
        if interactive {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
            lastDraw = Date()
            let width = 24, filled = total > 0 ? width * step / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            printError("\r\u{1B}[2K[\(bar)] \(step)/\(total)  " + text, terminator: "")
        } else if step % logEvery == 0 || step == total || step == 1 {
            printError("step \(step)/\(total)  " + text)
        }
    }

    /// A line that must not be overwritten (validation loss, checkpoint saved).
    func note(_ line: String) {
        if interactive { printError("\r\u{1B}[2K" + line) } else { printError(line) }
    }

    func finish() { if interactive { printError("") } }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Progress through the bytes of a large file, on a terminal only: a percentage redrawn in place.
final class ByteProgress {
    let label: String
    private let interactive = isatty(STDERR_FILENO) == 1
    private var shown = -1

    init(label: String) { self.label = label }

    /// Called with the bytes done and the bytes in all (files under 64 MB show nothing).
    func update(_ done: Int, _ total: Int) {
        guard interactive, total >= 64 << 20 else { return }
        let percent = done * 100 / max(total, 1)
        if percent != shown {
            shown = percent
            printError("\r\u{1B}[2K\(label): \(percent)%", terminator: "")
        }
    }

    func finish() { if shown >= 0 { printError("") } }
}
