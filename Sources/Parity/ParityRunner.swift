import Foundation
import SeqTensor

/// The outcome of one fixture: every expected tensor compared with what seqtool computed.
public struct ParityResult {
    public let name: String
    public let kind: String
    /// Largest |got - ref| / max(|ref|, 0.1) over all compared values: the README's rule
    /// "|got - ref| <= max(1e-4 |ref|, 1e-5)" is exactly "this <= 1e-4".
    public let maxRelativeError: Double
    /// Largest share of the tolerance used by any value (1 = at the limit).
    public let budgetUsed: Double
    /// The tensor with the largest share.
    public let worstTensor: String
    /// Why the case failed (nil when it passed).
    public let failure: String?

    public var passed: Bool { failure == nil }
}

/// Runs PyTorch parity fixtures against seqtool's layers, losses and optimizers.
public enum ParityRunner {
    /// The fixtures copied into the project for its tests (`Tests/Fixtures/parity`).
    public static let projectFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/parity").path

    /// Runs every `*.json` fixture in `directory`, in name order; with `kinds`, only those kinds
    /// (the kind is the file name without its `_<n>` suffix). `fusedKernels` false runs the
    /// recurrent layers' cells step by step in autodiff operations instead of their fused kernels.
    public static func run(directory: String, kinds: Set<String>? = nil, fusedKernels: Bool = true) throws
        -> [ParityResult]
    {
        var names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
                .sorted()
        } catch {
            throw ParityError("\(directory): cannot list the folder (\(error.localizedDescription))")
        }
        if let kinds {
            names = names.filter {
                kinds.contains(String($0.dropLast(5).split(separator: "_").dropLast().joined(separator: "_")))
            }
        }
        guard !names.isEmpty else {
            throw ParityError("\(directory): no *.json fixtures\(kinds.map { " of kinds \($0.sorted())" } ?? "")")
        }
        return names.map { run(path: directory + "/" + $0, fusedKernels: fusedKernels) }
    }

    /// For tests: the project's fixtures of `kinds`, as one message per case that fails or uses
    /// more than `budget` of the tolerance (an honest float32 implementation keeps a wide margin).
    public static func problems(kinds: Set<String>, budget: Double = 0.5, fusedKernels: Bool = true) throws
        -> [String]
    {
        try run(directory: projectFixtures, kinds: kinds, fusedKernels: fusedKernels).compactMap { r in
            if let f = r.failure { return "\(r.name): \(f)" }
            if r.budgetUsed > budget {
                return "\(r.name): uses \(Int(r.budgetUsed * 100))% of the tolerance (\(r.worstTensor))"
            }
            return nil
        }
    }

    /// Runs one fixture file; a file that cannot be read or is of an unknown kind is a failure.
    public static func run(path: String, fusedKernels: Bool = true) -> ParityResult {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        do {
            let fixture = try Fixture(path: path)
            return try run(fixture, fusedKernels: fusedKernels)
        } catch {
            return ParityResult(
                name: name, kind: "?", maxRelativeError: .nan, budgetUsed: .nan, worstTensor: "", failure: "\(error)")
        }
    }

    /// Runs one fixture.
    public static func run(_ fixture: Fixture, fusedKernels: Bool = true) throws -> ParityResult {
        let computed = try ParityKinds.compute(fixture, fusedKernels: fusedKernels)
        return compare(fixture, computed)
    }

    /// The names a fixture expects seqtool to produce.
    static func expectedNames(_ fixture: Fixture) -> [String] {
        fixture.tensors.keys.filter {
            $0.hasPrefix("out.") || $0.hasPrefix("grad.") && !fixture.isOptimizer || $0.hasPrefix("param.step")
                || $0 == "loss"
        }.sorted()
    }

    static func compare(_ fixture: Fixture, _ computed: [String: Tensor]) -> ParityResult {
        var maxRel = 0.0, budget = 0.0, worst = ""
        var failures: [String] = []
        for key in expectedNames(fixture) {
            let ref = fixture.tensors[key]!
            guard let got = computed[key] else {
                failures.append("\(key) not computed")
                continue
            }
            guard got.count == ref.data.count else {
                failures.append("\(key) has shape \(got.shape), expected \(ref.shape)")
                continue
            }
            let tightOptimizerCheck = fixture.isOptimizer && key.hasPrefix("param.step")
            let g = got.pointer
            var keyBudget = 0.0
            for i in 0..<ref.data.count {
                let r = ref.data[i], diff = abs(Double(g[i]) - r)
                var tolerance = max(1e-4 * abs(r), 1e-5)
                if tightOptimizerCheck { tolerance = min(tolerance, 1e-6 * max(1, abs(r))) }
                maxRel = max(maxRel, diff.isNaN ? .infinity : diff / max(abs(r), 0.1))
                keyBudget = max(keyBudget, diff.isNaN ? .infinity : diff / tolerance)
            }
            if keyBudget > budget {
                budget = keyBudget
                worst = key
            }
            if keyBudget > 1 {
                failures.append("\(key) outside tolerance (\(String(format: "%.3g", keyBudget))x the budget)")
            }
        }
        return ParityResult(
            name: fixture.name, kind: fixture.kind, maxRelativeError: maxRel, budgetUsed: budget,
            worstTensor: worst, failure: failures.isEmpty ? nil : failures.joined(separator: "; "))
    }
}

extension Fixture {
    var isOptimizer: Bool { ["sgd", "adam", "adamw", "rmsprop", "adagrad"].contains(kind) }
}
