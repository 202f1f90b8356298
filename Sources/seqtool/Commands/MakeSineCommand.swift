import ArgumentParser
import Datasets
import Foundation
import SeqTensor

/// `seqtool make-sine`: the tutorial's sine data set as CSV (label first).
struct MakeSineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-sine",
        abstract: "Write the sine classification data set (10 angular velocities) as CSV, label first.",
        discussion:
            "Default: the tutorial's 200 rows (both phase tables). --phases random draws --count fresh phases per "
            + "class."
    )

    @Option(help: "CSV file to write.") var out: String
    @Option(help: "tutorial (the 20 tabulated phases), random, or zero (one row per class, phase 0).")
    var phases: PhaseChoice = .tutorial
    @Option(help: "With --phases random: phases per class.") var count = 20
    @OptionGroup var seeding: SeedOptions
    @Option(help: "Standard deviation of Gaussian noise added to every value.") var noise: Float = 0
    @Option(help: "Points per sequence.") var points = 1000
    @Option(name: .customLong("t-max"), help: "The grid runs over [0, t-max].") var tMax: Double = 10
    @Option(help: "Keep every K-th point of the grid (10: the tutorial's grid at 100 points).") var stride = 1
    @OptionGroup var overwrite: ForceOptions

    /// The phases of the rows.
    enum PhaseChoice: String, ExpressibleByArgument, CaseIterable {
        case tutorial, random, zero
    }

    func validate() throws {
        try require(stride > 0 && stride <= points, "--stride", "must be in 1...--points")
        try require(count > 0, "--count", "must be positive")
        try require(noise >= 0 && noise.isFinite, "--noise", "must be >= 0")
        try require(points >= 2, "--points", "must be at least 2")
        try require(tMax > 0 && tMax.isFinite, "--t-max", "must be positive")
    }

    func run() throws {
        try overwrite.check(out, flag: "--out") { path in
            (try? String(contentsOfFile: path, encoding: .utf8))?.first.map { $0.isNumber } ?? false
        }
        var g = SeededGenerator(seed: seeding.seed)
        var rows: LabeledRows
        switch phases {
        case .random:
            rows = SineDataset.random(count: count, points: points, tMax: tMax, noise: noise, generator: &g)
        case .zero:
            let phases = Array(repeating: [0.0], count: SineDataset.omegas.count)
            rows = SineDataset.rows(phases: phases, points: points, tMax: tMax, noise: noise, generator: &g)
        case .tutorial:
            rows = SineDataset.tutorial(points: points, tMax: tMax, noise: noise, generator: &g)
        }
        if stride > 1 {
            let kept = Array(Swift.stride(from: 0, to: points, by: stride))
            let p = rows.features.pointer
            let values = (0..<rows.count).flatMap { r in kept.map { p[r * points + $0] } }
            rows = LabeledRows(features: Tensor(values, shape: [rows.count, kept.count]), labels: rows.labels)
        }
        try reporting { try AtomicFile.write(rows.csv(), to: out) }
        print(
            "wrote \(rows.count) sequences of \(rows.featureCount) points (\(SineDataset.omegas.count) classes) to "
                + "\(out)"
        )
    }
}
