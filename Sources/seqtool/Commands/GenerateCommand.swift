import ArgumentParser
import Datasets
import Foundation
import Framings
import Recurrent
import SeqTensor

/// `seqtool generate`: one-to-many. `train` fits a generator that draws each class's curve from
/// the class alone (teacher forcing); `draw` draws a curve freely from a trained one.
struct GenerateCommand: CommandWithModes {
    static let modes: [(flag: String, command: any ParsableCommand.Type)] = [
        ("--train", GenerateTrain.self), ("--model", GenerateDraw.self),
    ]

    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "One-to-many: train a curve generator on labelled rows, or draw a curve of a class.",
        discussion: """
              seqtool make-sine --out curves.csv --phases zero --stride 10
              seqtool generate train --train curves.csv --out gen.safetensors
              seqtool generate draw --model gen.safetensors --class 3 --length 100 --csv class3.csv --plot class3.svg
            """,
        subcommands: [GenerateTrain.self, GenerateDraw.self, OlderSpelling<Self>.self],
        defaultSubcommand: OlderSpelling<Self>.self
    )
}

/// `seqtool generate train`.
struct GenerateTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a generator on a CSV of labelled curves.")

    @Option(help: "CSV of curves to learn, label (class) first; every row of a class is a sample of its curve.")
    var train: String
    @Option(help: "The cell.") var cell: CellKind = .lstm
    @Option(help: "Hidden units.") var hidden = 64
    @Option(help: "Training steps (whole data set per step).") var steps = 1500
    @Option(help: "Learning rate (cosine-annealed to 1/100 of it).") var lr: Float = 1e-2
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Model file to write after training.") var out: String?
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        try require(hidden > 0 && steps > 0, "--hidden/--steps", "must be positive")
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
    }

    func run() throws {
        compute.apply()
        try overwrite.check(out, flag: "--out") { isSafeTensors($0, format: SequenceGenerator.format) }
        let rows = try reporting { try LabeledRows(csv: train) }
        let classes = rows.classCount
        let generator = SequenceGenerator(
            cell: cell, hidden: hidden, classCount: classes, random: RandomSource(seed: seeding.seed))
        let optimizer = Adam(generator.parameters, learningRate: lr)
        let schedule = LearningRateSchedule(base: lr, decay: .cosine(totalSteps: steps, minimum: lr / 100))
        printError(
            "generate: \(rows.count) curves of \(rows.featureCount) values, \(classes) classes; "
                + "\(cell.name) H=\(hidden), \(steps) steps")
        let progress = Progress(total: steps, logEvery: max(1, steps / 10))
        var loss: Float = .nan
        for s in 0..<steps {
            optimizer.learningRate = schedule.rate(at: s)
            loss = try reporting {
                try optimizer.minimize(
                    generator.loss(curves: rows.features, classes: rows.labels), clip: 1, step: s + 1
                ).loss
            }
            progress.update(step: s + 1, fields: [("mse", String(format: "%.5f", loss))], tokensPerSecond: nil)
        }
        progress.finish()
        // Free-running error per class against the class's first training curve.
        var errors: [Double] = []
        var reference = Tensor(zeros: [classes, rows.featureCount])
        for k in 0..<classes {
            guard let r = rows.labels.firstIndex(of: k) else {
                errors.append(.nan)
                continue
            }
            let truth = Array(rows.features.scalars[(r * rows.featureCount)..<((r + 1) * rows.featureCount)])
            (reference.mutablePointer + k * rows.featureCount).update(from: truth, count: truth.count)
            let drawn = generator.generate(classIndex: k, length: truth.count)
            errors.append(
                zip(drawn, truth).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(truth.count))
        }
        print(String(format: "trained %d steps; teacher-forced MSE %.5f", steps, loss))
        print(
            "free-running MSE per class: "
                + errors.enumerated().map { String(format: "%d: %.5f", $0.offset, $0.element) }.joined(separator: "  "))
        if let out {
            try reporting {
                try generator.save(to: out, reference: reference, extra: ["length": String(rows.featureCount)])
            }
            print("model written to \(out)")
        }
        output.emit([
            "steps": steps, "teacher_forced_mse": loss, "free_running_mse": errors,
            "max_free_running_mse": errors.max() ?? Double.nan,
        ])
    }
}

/// `seqtool generate draw`.
struct GenerateDraw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw", abstract: "Draw a curve of a class from a trained generator.")

    @Option(help: "A trained generator.") var model: String
    @Option(name: .customLong("class"), help: "Class to draw.") var classIndex: Int
    @Option(help: "Values to draw (default: the training length).") var length: Int?
    @Option(help: "Write the drawn curve as CSV (step,value).") var csv: String?
    @Option(help: "Write an SVG of the drawn curve beside the class's training curve.") var plot: String?
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        try require(classIndex >= 0, "--class", "must not be negative")
        try require(length.map { $0 > 0 } ?? true, "--length", "must be positive")
    }

    func run() throws {
        compute.apply()
        try overwrite.check(csv, flag: "--csv") { _ in true }
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        let (generator, metadata) = try reporting { try SequenceGenerator.load(path: model) }
        guard classIndex < generator.classCount else {
            throw CommandError("--class \(classIndex): the model knows classes 0..\(generator.classCount - 1)")
        }
        let n = length ?? Int(metadata["length"] ?? "") ?? 100
        let curve = generator.generate(classIndex: classIndex, length: n)
        if let csv {
            let lines = curve.enumerated().map { "\($0.offset),\($0.element)" }
            try reporting { try AtomicFile.write("step,value\n" + lines.joined(separator: "\n") + "\n", to: csv) }
            print("wrote \(n) values to \(csv)")
        } else {
            print(curve.map { String($0) }.joined(separator: "\n"))
        }
        guard let plot else { return }
        var series = [
            SVGPlot.Series(
                name: "generated", points: curve.enumerated().map { (Double($0.offset), Double($0.element)) },
                color: "#d62728")
        ]
        let reference = (try? SafeTensors.read(path: model))?.tensors["reference.curves"]?.tensor
        if let reference, reference.shape.count == 2, classIndex < reference.shape[0] {
            let row = reference[classIndex].scalars
            series.insert(
                .init(
                    name: "training curve", points: row.enumerated().map { (Double($0.offset), Double($0.element)) },
                    color: "#1f77b4"), at: 0)
        }
        let svg = SVGPlot(
            title: "Class \(classIndex): generated from the class alone", xLabel: "step", yLabel: "value",
            series: series, xScale: .integer)
        try reporting { try AtomicFile.write(svg.render(), to: plot) }
        print("plot written to \(plot)")
    }
}
