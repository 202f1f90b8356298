import ArgumentParser
import Classification
import Datasets
import Foundation
import SeqTensor

/// The training step of the convolutional classifiers (FCN or ResNet) on fixed random series:
/// forward, softmax cross-entropy, backward and Adam's update (no clipping), as
/// `scripts/torch_conv_step.py` times PyTorch's `Conv1d` + `BatchNorm1d` network of the same
/// shapes. With `--torch` the two run in one command, alternating, so that both see the same
/// machine; the ratio is PyTorch's median step time over seqtool's (above 1: seqtool is faster).
struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Time the FCN's (or ResNet's) training step, beside PyTorch's with --torch.",
        discussion: """
            Each length in --lengths is timed --rounds times; each round takes the median of --steps \
            steps after --warmup. With --torch SCRIPT (scripts/torch_conv_step.py) every round of seqtool \
            is followed by one of PyTorch on the same shapes and threads, and the ratio of the medians is \
            reported.
              seqtool bench conv --threads 2 --torch scripts/torch_conv_step.py --json
            """)

    @Option(help: "The network: fcn or resnet.") var model = "fcn"
    @Option(help: "Series per step.") var batch = 16
    @Option(help: "Series lengths to time, separated by commas.") var lengths = "150,500"
    @Option(help: "Channels per step.") var channels = 1
    @Option(help: "Classes.") var classes = 2
    @Option(help: "Timed steps per round.") var steps = 40
    @Option(help: "Untimed steps before each round.") var warmup = 5
    @Option(help: "Rounds per length (alternating with PyTorch under --torch).") var rounds = 3
    @Option(help: "PyTorch's script of the same step (scripts/torch_conv_step.py), run in the same command.")
    var torch: String?
    @Option(help: "The Python that runs --torch.") var python = "python3"
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions

    var architecture: Architecture { model == "resnet" ? .resnet : .fcn }

    func validate() throws {
        try require(["fcn", "resnet"].contains(model), "--model", "must be fcn or resnet")
        try require(parsedLengths != nil, "--lengths", "must be positive lengths separated by commas, e.g. 150,500")
        for (value, flag) in [(batch, "--batch"), (channels, "--channels"), (steps, "--steps"), (rounds, "--rounds")] {
            try require(value > 0, flag, "must be positive")
        }
        try require(classes >= 2, "--classes", "must be at least 2")
        try require(warmup >= 0, "--warmup", "must not be negative")
        try require(torch.map { FileManager.default.fileExists(atPath: $0) } ?? true, "--torch", "is not a file")
    }

    var parsedLengths: [Int]? {
        let values = lengths.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return values.isEmpty || values.contains { ($0 ?? 0) <= 0 } ? nil : values.map { $0! }
    }

    func run() throws {
        compute.apply()
        var results: [[String: Any]] = []
        for length in parsedLengths! {
            let flops =
                6 * (architecture.forwardMultiplyAdds(channels: channels, steps: Double(length)) ?? 0) * Double(batch)
            var ours: [Double] = [], theirs: [Double] = []
            for _ in 0..<rounds {
                ours.append(try stepMilliseconds(length: length))
                if let torch { theirs.append(try torchMilliseconds(torch, length: length)) }
            }
            let median = Self.median(ours)
            var line = String(
                format: "%@ B=%d L=%d C=%d, %d thread(s), %@: seqtool %.1f ms/step (%.0f series/s, %.1f GFLOP/s)",
                model, batch, length, channels, compute.threads, InstructionSet.current.rawValue, median,
                Double(batch) / median * 1e3, flops / median / 1e6)
            var result: [String: Any] = [
                "length": length, "ms_per_step": median, "series_per_s": Double(batch) / median * 1e3,
                "gflops": flops / median / 1e6, "rounds_ms": ours,
            ]
            if !theirs.isEmpty {
                let torchMedian = Self.median(theirs)
                line += String(
                    format: "; PyTorch %.1f ms/step; ratio %.2f (median of %d rounds each)", torchMedian,
                    torchMedian / median, rounds)
                result["torch_ms_per_step"] = torchMedian
                result["torch_rounds_ms"] = theirs
                result["ratio"] = torchMedian / median
            }
            print(line)
            results.append(result)
        }
        output.emit([
            "benchmark": "seqtool_conv", "model": model, "batch": batch, "channels": channels, "classes": classes,
            "threads": compute.threads, "isa": InstructionSet.current.rawValue, "steps": steps, "results": results,
        ])
    }

    /// The median milliseconds of seqtool's training step on series of `length` steps.
    func stepMilliseconds(length: Int) throws -> Double {
        let random = RandomSource(seed: 1)
        let names = (0..<classes).map(String.init)
        let values = (0..<batch).map { _ in
            (0..<(length * channels)).map { _ in random.generator.nextNormal() }
        }
        let data = LabeledSeries(
            channels: channels, values: values, labels: (0..<batch).map { names[$0 % classes] })
        let classifier = Classifier(
            architecture, channels: channels, length: nil, classNames: names, random: random)
        let series = classifier.batch(data, Array(0..<batch))
        let targets = classifier.classIndices(data.labels!)
        let optimizer = Adam(classifier.parameters, learningRate: 1e-3)
        var times: [Double] = []
        for step in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            let loss = crossEntropy(logits: classifier.network.logits(series), targets: targets)
            try optimizer.minimize(loss, clip: 0, step: step + 1)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if step >= warmup { times.append(elapsed) }
        }
        return Self.median(times)
    }

    /// PyTorch's median milliseconds per step on the same shapes, from `script`'s JSON line.
    func torchMilliseconds(_ script: String, length: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, script, "--model", model, "--batch", String(batch), "--length", String(length), "--channels",
            String(channels), "--classes", String(classes), "--steps", String(steps), "--warmup", String(warmup),
            "--threads", String(compute.threads),
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw CommandError("--torch: cannot run \(python) \(script): \(error)") }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let last = text.split(separator: "\n").last,
            let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
            let ms = object["ms_per_step"] as? Double
        else {
            throw CommandError(
                "--torch: \(python) \(script) exited with status \(process.terminationStatus) without a JSON line "
                    + "holding ms_per_step (is torch installed? pip install torch==2.13.0+cpu)")
        }
        return ms
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
