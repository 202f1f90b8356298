import ArgumentParser
import Datasets
import Foundation
import Framings
import Recurrent
import SeqTensor

/// `seqtool generate`: one-to-many. With --train, fits a generator that draws each class's curve
/// from the class alone (teacher forcing); with --model, draws a curve freely.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "One-to-many: train a curve generator on labelled rows (--train), or draw a curve of a class (--model).",
        discussion: """
          seqtool make-sine --out curves.csv --phases zero --stride 10
          seqtool generate --train curves.csv --out gen.safetensors
          seqtool generate --model gen.safetensors --class 3 --length 100 --csv class3.csv --plot class3.svg
        """
    )

    @Option(help: "CSV of curves to learn, label (class) first; every row of a class is a sample of its curve.") var train: String?
    @Option(help: "A trained generator.") var model: String?
    @Option(name: .customLong("class"), help: "Class to draw.") var classIndex: Int?
    @Option(help: "Values to draw (default: the training length).") var length: Int?
    @Option(help: "Write the drawn curve as CSV (step,value).") var csv: String?
    @Option(help: "Write an SVG of the drawn curve beside the class's training curve.") var plot: String?
    @Option(help: "lstm, gru or rnn.") var cell: CellKind = .lstm
    @Option var hidden = 64
    @Option(help: "Training steps (whole data set per step).") var steps = 1500
    @Option var lr: Float = 1e-2
    @Option var seed: UInt64 = 1
    @Option var threads = 1
    @Option(help: "Model file to write after training.") var out: String?
    @Flag var json = false
    @Flag(help: "Overwrite files of another kind.") var force = false

    func validate() throws {
        try require(train != nil || model != nil, "--train", "or --model is required")
        try require(train == nil || model == nil, "--train", "and --model cannot both be given")
        try require(model == nil || classIndex != nil, "--class", "is required with --model")
        try require(classIndex.map { $0 >= 0 } ?? true, "--class", "must not be negative")
        try require(length.map { $0 > 0 } ?? true, "--length", "must be positive")
        try require(hidden > 0 && steps > 0 && threads > 0, "--hidden/--steps/--threads", "must be positive")
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
    }

    func run() throws {
        BLASThreads.set(threads)
        if let csv { try checkOverwrite(csv, force: force, flag: "--csv") { _ in true } }
        if let plot { try checkOverwrite(plot, force: force, flag: "--plot") { isSVG($0) } }
        if let train { try fit(train) } else { try draw() }
    }

    func fit(_ path: String) throws {
        if let out { try checkOverwrite(out, force: force, flag: "--out") { isSafeTensors($0, format: SequenceGenerator.format) } }
        let rows = try reporting { try LabeledRows(csv: path) }
        let classes = rows.classCount
        let generator = SequenceGenerator(cell: cell, hidden: hidden, classCount: classes, random: RandomSource(seed: seed))
        let optimizer = Adam(generator.parameters, learningRate: lr)
        let schedule = LearningRateSchedule(base: lr, decay: .cosine(totalSteps: steps, minimum: lr / 100))
        printError("generate: \(rows.count) curves of \(rows.featureCount) values, \(classes) classes; \(cell.rawValue) H=\(hidden), \(steps) steps")
        let progress = Progress(total: steps, logEvery: max(1, steps / 10))
        var loss: Float = .nan
        for s in 0..<steps {
            optimizer.learningRate = schedule.rate(at: s)
            loss = try reporting { try optimizer.minimize(generator.loss(curves: rows.features, classes: rows.labels), clip: 1, step: s + 1).loss }
            progress.update(step: s + 1, fields: [("mse", String(format: "%.5f", loss))], tokensPerSecond: nil)
        }
        progress.finish()
        // Free-running error per class against the class's first training curve.
        var errors: [Double] = []
        var reference = Tensor(zeros: [classes, rows.featureCount])
        for k in 0..<classes {
            guard let r = rows.labels.firstIndex(of: k) else { errors.append(.nan); continue }
            let truth = Array(rows.features.scalars[(r * rows.featureCount)..<((r + 1) * rows.featureCount)])
            (reference.mutablePointer + k * rows.featureCount).update(from: truth, count: truth.count)
            let drawn = generator.generate(classIndex: k, length: truth.count)
            errors.append(zip(drawn, truth).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(truth.count))
        }
        print(String(format: "trained %d steps; teacher-forced MSE %.5f", steps, loss))
        print("free-running MSE per class: " + errors.enumerated().map { String(format: "%d: %.5f", $0.offset, $0.element) }.joined(separator: "  "))
        if let out {
            try reporting { try generator.save(to: out, reference: reference, extra: ["length": String(rows.featureCount)]) }
            print("model written to \(out)")
        }
        if json { print(jsonLine(["steps": steps, "teacher_forced_mse": loss, "free_running_mse": errors, "max_free_running_mse": errors.max() ?? Double.nan])) }
    }

    func draw() throws {
        let (generator, metadata) = try reporting { try SequenceGenerator.load(path: model!) }
        guard classIndex! < generator.classCount else { throw CommandError("--class \(classIndex!): the model knows classes 0..\(generator.classCount - 1)") }
        let n = length ?? Int(metadata["length"] ?? "") ?? 100
        let curve = generator.generate(classIndex: classIndex!, length: n)
        let reference = (try? SafeTensors.read(path: model!))?.tensors["reference.curves"]?.tensor
        if let csv {
            try reporting { try AtomicFile.write("step,value\n" + curve.enumerated().map { "\($0.offset),\($0.element)" }.joined(separator: "\n") + "\n", to: csv) }
            print("wrote \(n) values to \(csv)")
        } else {
            print(curve.map { String($0) }.joined(separator: "\n"))
        }
        if let plot {
            var series = [SVGPlot.Series(name: "generated", points: curve.enumerated().map { (Double($0.offset), Double($0.element)) }, color: "#d62728")]
            if let reference, reference.shape.count == 2, classIndex! < reference.shape[0] {
                let row = reference[classIndex!].scalars
                series.insert(.init(name: "training curve", points: row.enumerated().map { (Double($0.offset), Double($0.element)) }, color: "#1f77b4"), at: 0)
            }
            let svg = SVGPlot(title: "Class \(classIndex!): generated from the class alone", xLabel: "step", yLabel: "value", series: series)
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
        }
    }
}
