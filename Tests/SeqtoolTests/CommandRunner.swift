import Foundation
import XCTest

/// Runs the built `seqtool` binary (next to the test bundle) in a scratch folder.
struct CommandRunner {
    struct Result {
        let status: Int32
        let stdout: String, stderr: String
        /// Whether the process ended by a signal (a crash) rather than by exiting.
        let signaled: Bool
        var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
        /// The last stdout line parsed as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(lastLine.utf8))) as? [String: Any] ?? [:]
        }
    }

    let folder: String

    init() throws {
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "seqtool-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
            ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    static var binary: String {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("seqtool").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL.appendingPathComponent("seqtool").path
    }

    func path(_ name: String) -> String { folder + "/" + name }

    /// Writes the small corpus the training-run tests share, as `corpus.txt` in the folder.
    func writeVerse() throws {
        let text = String(
            repeating: "to be or not to be, that is the question.\nwhether 'tis nobler in the mind to suffer\n",
            count: 80)
        try text.write(toFile: path("corpus.txt"), atomically: true, encoding: .utf8)
    }

    /// Runs seqtool (or `executable` with `prefix` before the arguments) with `arguments`,
    /// `environment` added to this process's.
    @discardableResult
    func run(
        _ arguments: [String], environment: [String: String] = [:], executable: String = binary,
        prefix: [String] = []
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = prefix + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Runs a command that must fail with one error line naming `mention`, without crashing.
    func expectFailure(
        _ arguments: [String], mentioning mention: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let r = try run(arguments)
        XCTAssertFalse(r.signaled, "\(arguments) crashed", file: file, line: line)
        XCTAssertNotEqual(r.status, 0, "\(arguments) succeeded", file: file, line: line)
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        XCTAssertEqual(lines.count, 1, "\(arguments): stderr \(r.stderr)", file: file, line: line)
        XCTAssertTrue(
            r.stderr.contains(mention), "\(arguments): \"\(r.stderr)\" does not mention \"\(mention)\"", file: file,
            line: line)
    }
}
