import Foundation
import XCTest

/// Every plot the commands write: rendered to PNG by `rsvg-convert` (so a malformed SVG fails),
/// with tick labels at 1, 2 or 5 times a power of ten and whole numbers on step and class axes.
final class PlotTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    /// The rsvg-convert that .ci/run installs (librsvg2-bin); skipped elsewhere when it is missing.
    func converter() throws -> String {
        let path = "/usr/bin/rsvg-convert"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("rsvg-convert is missing: install librsvg2-bin") }
        throw XCTSkip("rsvg-convert is not installed (apt-get install librsvg2-bin)")
    }

    func render(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try converter())
        process.arguments = ["-o", runner.path(svg + ".png"), runner.path(svg)]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(svg): \(message)", file: file, line: line)
        let png = try Data(contentsOf: URL(fileURLWithPath: runner.path(svg + ".png")))
        XCTAssertEqual(
            Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(svg) did not render to PNG", file: file, line: line)
    }

    /// The tick labels of an axis: the `<text>` elements anchored as that axis anchors them.
    func ticks(_ svg: String, anchor: String) throws -> [String] {
        let text = try String(contentsOfFile: runner.path(svg), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "text-anchor=\"\(anchor)\">([^<]*)</text>")
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
    }

    /// Whether the labels are the multiples of one step that is 1, 2 or 5 times a power of ten.
    func areRound(_ labels: [String]) -> Bool {
        let values = labels.compactMap(Double.init)
        guard values.count == labels.count, values.count >= 2 else { return false }
        let step = values[1] - values[0]
        let mantissa = step / pow(10, log10(step).rounded(.down))
        guard [1.0, 2, 5].contains(where: { abs($0 - mantissa) < 1e-6 }) else { return false }
        return values.allSatisfy { abs(($0 / step).rounded() * step - $0) < step * 1e-6 }
    }

    func testEveryPlotRendersWithRoundTicks() throws {
        let corpus = runner.path("corpus.txt")
        try String(repeating: "the quick brown fox jumps over the lazy dog.\n", count: 80)
            .write(toFile: corpus, atomically: true, encoding: .utf8)
        let runs: [[String]] = [
            [
                "train-char", "--corpus", corpus, "--hidden", "16", "--layers", "1", "--embed", "8", "--seq", "16",
                "--batch", "4", "--steps", "37", "--eval-every", "10", "--threads", "1", "--plot", "loss.svg",
            ],
            ["make-sine", "--out", "train.csv", "--phases", "random", "--count", "3", "--points", "60"],
            ["classify", "--train", "train.csv", "--model", "mlp", "--epochs", "3", "--plot", "classes.svg"],
            ["make-sine", "--out", "zero.csv", "--phases", "zero", "--stride", "10"],
            ["generate", "train", "--train", "zero.csv", "--hidden", "8", "--steps", "5", "--out", "g.safetensors"],
            ["generate", "draw", "--model", "g.safetensors", "--class", "2", "--length", "30", "--plot", "curve.svg"],
            ["make-sine", "--out", "series.csv", "--phases", "random", "--count", "1", "--points", "120"],
            [
                "forecast", "--train", "series.csv", "--label-column", "first", "--horizon", "10", "--window", "30",
                "--hidden", "8", "--steps", "5", "--plot", "forecast.svg",
            ],
        ]
        for arguments in runs {
            let result = try runner.run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
        }
        for svg in ["loss.svg", "classes.svg", "curve.svg", "forecast.svg"] {
            try render(svg)
            let x = try ticks(svg, anchor: "middle").filter { Double($0) != nil }
            let y = try ticks(svg, anchor: "end")
            XCTAssertGreaterThanOrEqual(x.count, 3, "\(svg): x ticks \(x)")
            XCTAssertGreaterThanOrEqual(y.count, 3, "\(svg): y ticks \(y)")
            XCTAssertTrue(areRound(x) && !x.joined().contains("."), "\(svg): x ticks \(x)")
            XCTAssertTrue(areRound(y), "\(svg): y ticks \(y)")
        }
        // The class axis counts classes by name, one tick each.
        XCTAssertEqual(try ticks("classes.svg", anchor: "end"), (0..<10).map(String.init))
        // Validation losses are marked where they were measured (steps 10, 20, 30 and the end).
        let loss = try String(contentsOfFile: runner.path("loss.svg"), encoding: .utf8)
        XCTAssertEqual(loss.components(separatedBy: "<circle").count - 1, 4)
    }
}
