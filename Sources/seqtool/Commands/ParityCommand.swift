import ArgumentParser
import Foundation
import Parity

/// `seqtool parity DIR`: every PyTorch fixture in DIR, one line each with its largest relative
/// error; exits non-zero if any case fails or is of an unknown kind. The kernels are those of the
/// process's instruction set (`SEQTOOL_ISA` chooses another, to check each path).
struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Check layers, losses and optimizers against PyTorch reference fixtures."
    )

    @Argument(help: "Folder of <kind>_<n>.json fixtures (e.g. ../shared/parity).")
    var directory: String

    @OptionGroup var compute: ThreadOptions

    func run() throws {
        compute.apply()
        let results: [ParityResult]
        do {
            results = try ParityRunner.run(directory: directory)
        } catch {
            throw ValidationError("\(error)")
        }
        for r in results {
            let status = r.passed ? "ok  " : "FAIL"
            var line =
                "\(status) \(r.name.padding(toLength: 20, withPad: " ", startingAt: 0)) "
                + String(format: "max rel err %.2e  budget %5.1f%%", r.maxRelativeError, r.budgetUsed * 100)
            if !r.worstTensor.isEmpty { line += "  (\(r.worstTensor))" }
            if let failure = r.failure { line += "  \(failure)" }
            print(line)
        }
        let failed = results.filter { !$0.passed }.count
        print("\(results.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
