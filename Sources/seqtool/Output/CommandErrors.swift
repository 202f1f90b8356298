import ArgumentParser
import Distributed
import Foundation
import SeqTensor

/// An error the user can act on: one line, printed as `Error: <message>` with exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Checks a flag's value in `validate()`, failing with one line that names the flag.
func require(_ condition: Bool, _ flag: String, _ expectation: String) throws {
    if !condition { throw CommandError("\(flag) \(expectation)") }
}

/// Runs `body`, turning any library error into a one-line `CommandError` (the library's errors
/// already name the file or tensor).
func reporting<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let e as CommandError {
        throw e
    } catch let e as ExitCode {
        throw e
    } catch {
        throw CommandError("\(error)")
    }
}

/// Writes to standard error; on ranks other than 0 of a data-parallel job only when `always` (errors).
func printError(_ text: String, terminator: String = "\n", always: Bool = false) {
    guard World.rank == 0 || always else { return }
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

/// Refuses to overwrite an existing file that is not of the expected kind (checked by
/// `isExpectedKind`) unless `force` is set.
func checkOverwrite(_ path: String, force: Bool, flag: String, isExpectedKind: (String) -> Bool) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
    if isDirectory.boolValue { throw CommandError("\(flag) \(path) is a folder") }
    if !force && !isExpectedKind(path) {
        throw CommandError(
            "\(flag) \(path) exists and is not a file seqtool wrote of this kind (use --force to overwrite it)")
    }
}

/// Whether `path` is a safetensors file whose metadata `format` is `format`.
func isSafeTensors(_ path: String, format: String) -> Bool {
    (try? SafeTensors.read(path: path))?.metadata["format"] == format
}

/// Whether `path` starts like an SVG file.
func isSVG(_ path: String) -> Bool {
    guard let h = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? h.close() }
    let head = String(decoding: h.readData(ofLength: 256), as: UTF8.self)
    return head.contains("<svg") || head.hasPrefix("<?xml")
}
