import Foundation
import SeqTensor

/// Stops a data-parallel job whose ranks were given different command lines or read different
/// data (`hashData` adds the data to a hash): they would not train one model. The parameters are
/// compared as training goes. Collective.
public func checkRanksAgree(_ group: any ProcessGroup, data: String, hashData: (inout FNV1a) throws -> Void) throws {
    guard group.size > 1 else { return }
    var flags = FNV1a(), content = FNV1a()
    // argv[0] is left out: the path to seqtool may differ between machines.
    for argument in CommandLine.arguments.dropFirst() { flags.add(argument) }
    try hashData(&content)
    try group.checkAgreement(on: flags.value, "the command line (give every rank the same flags)")
    try group.checkAgreement(on: content.value, "\(data): every rank must read the same data")
}

/// Adds the bytes of the file at `path` to `hash` (a file that cannot be read adds a mark: the
/// reader that comes next says why, or the ranks disagree if only some can read it).
public func hashFile(_ path: String, into hash: inout FNV1a) {
    guard let data = FileManager.default.contents(atPath: path) else { return hash.add("unreadable \(path)") }
    data.withUnsafeBytes { for byte in $0 { hash.add(word: UInt32(byte)) } }
}
