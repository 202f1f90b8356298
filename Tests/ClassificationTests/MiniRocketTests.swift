import Classification
import Datasets
import Foundation
import SeqTensor
import XCTest

/// MiniRocket against aeon 1.6 and scikit-learn (fixtures written by
/// `Tests/Fixtures/scripts/minirocket_fixtures.py`: dilations, quantiles, the features of a fitted
/// transform, the biases drawn from given series, RidgeClassifierCV's choice and coefficients),
/// against a direct float64 convolution, and as a classifier: unequal lengths without padding
/// artefacts, saving and loading, determinism, bad files.
final class MiniRocketTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/minirocket").path

    static func fixture(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func numbers(_ value: Any?) -> [Double] { (value as? [NSNumber])?.map(\.doubleValue) ?? [] }
    static func integers(_ value: Any?) -> [Int] { (value as? [NSNumber])?.map(\.intValue) ?? [] }

    /// Series stored channel-major (N, C, T) as a set of time-major series (labels "a").
    static func series(_ values: [Double], shape: [Int]) -> LabeledSeries {
        let (N, C, T) = (shape[0], shape[1], shape[2])
        let rows = (0..<N).map { n in
            (0..<(T * C)).map { i in Float(values[(n * C + i % C) * T + i / C]) }
        }
        return LabeledSeries(channels: C, values: rows, labels: Array(repeating: "a", count: N))
    }

    static func batch(_ data: LabeledSeries) -> SeriesBatch {
        SeriesBatch(
            data.values, Array(0..<data.count), channels: data.channels,
            mean: Array(repeating: 0, count: data.channels), std: Array(repeating: 1, count: data.channels))
    }

    func testDilationsAndQuantilesAreAeons() throws {
        let fixture = try Self.fixture("dilations.json")
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 40)
        for c in cases {
            let (length, features, maxDilations) = (
                c["length"] as! Int, c["features"] as! Int, c["max_dilations"] as! Int
            )
            let (dilations, perDilation) = MiniRocketParameters.dilations(
                length: length, features: features, maxDilations: maxDilations)
            XCTAssertEqual(dilations, Self.integers(c["dilations"]), "\(c)")
            XCTAssertEqual(perDilation, Self.integers(c["features_per_dilation"]), "\(c)")
        }
        XCTAssertEqual(MiniRocketParameters.quantiles(100), Self.numbers(fixture["quantiles"]).map { Float($0) })
        // aeon refuses series under 9 steps; they get dilation 1 here.
        XCTAssertEqual(MiniRocketParameters.dilations(length: 3, features: 10_000, maxDilations: 32).dilations, [1])
    }

    /// aeon's fitted parameters, put into our transform, give aeon's features of other series; and
    /// from the series aeon drew each bias from, our bias fit gives the reference fit's biases.
    func checkAgainstAeon(_ name: String) throws {
        let f = try Self.fixture(name)
        let dilations = Self.integers(f["dilations"]), perDilation = Self.integers(f["features_per_dilation"])
        let counts = Self.integers(f["channels_per_combination"]), indices = Self.integers(f["channel_indices"])
        var combinations: [[Int]] = [], start = 0
        for count in counts {
            combinations.append(Array(indices[start..<(start + count)]))
            start += count
        }
        let parameters = MiniRocketParameters(
            dilations: dilations, featuresPerDilation: perDilation, combinations: combinations,
            biases: Self.numbers(f["biases"]).map { Float($0) })
        let transform = MiniRocketTransform(featureCount: parameters.featureCount)
        transform.set(parameters)
        let test = Self.series(Self.numbers(f["test"]), shape: Self.integers(f["test_shape"]))
        let features = transform(Self.batch(test)).scalars
        let expected = Self.numbers(f["features"])
        XCTAssertEqual(features.count, expected.count)
        // The fixture holds float32 values: compared as float32 (JSON's decimals round to them).
        let differing = zip(features, expected).filter { $0 != Float($1) }.count
        XCTAssertEqual(differing, 0, "\(name): \(differing) of \(expected.count) features differ from aeon's")

        let train = Self.series(Self.numbers(f["train"]), shape: Self.integers(f["train_shape"]))
        let biases = MiniRocketTransform.fitBiases(
            parameters, batch: Self.batch(train), examples: Self.integers(f["examples"]),
            quantiles: MiniRocketParameters.quantiles(parameters.featureCount))
        for (k, (b, r)) in zip(biases, Self.numbers(f["reference_biases"])).enumerated() {
            XCTAssertEqual(Double(b), r, accuracy: 1e-5 * max(1, abs(r)), "\(name) bias \(k)")
        }
    }

    func testUnivariateTransformIsAeons() throws { try checkAgainstAeon("transform_univariate.json") }
    func testMultivariateTransformIsAeons() throws { try checkAgainstAeon("transform_multivariate.json") }

    /// Series of small whole numbers (so float sums are exact) of several channels and unequal
    /// lengths, some shorter than the widest kernel.
    static func integerSeries(count: Int, channels: Int, lengths: ClosedRange<Int>, seed: UInt64) -> LabeledSeries {
        var g = SeededGenerator(seed: seed)
        let values = (0..<count).map { _ in
            (0..<(channels * (lengths.lowerBound + g.nextInt(below: lengths.count)))).map { _ in
                Float(g.nextInt(below: 9) - 4)
            }
        }
        let labels = (0..<count).map { String($0 % 3) }
        return LabeledSeries(channels: channels, values: values, labels: labels)
    }

    /// The definition, in double, one feature at a time: the dilated 9-tap convolution with zeros
    /// outside the series, PPV over all its steps, or (j + k odd) over those whose window lies inside.
    static func referenceFeatures(_ parameters: MiniRocketParameters, series: [Float], channels C: Int) -> [Double] {
        let n = series.count / C
        var out: [Double] = [], combination = 0
        for (j, d) in parameters.dilations.enumerated() {
            let f = parameters.featuresPerDilation[j]
            for (k, kernel) in MiniRocketParameters.kernels.enumerated() {
                let conv = (0..<n).map { t -> Double in
                    var sum = 0.0
                    for c in parameters.combinations[combination] {
                        for i in 0..<9 where t + (i - 4) * d >= 0 && t + (i - 4) * d < n {
                            sum += (kernel.contains(i) ? 2 : -1) * Double(series[(t + (i - 4) * d) * C + c])
                        }
                    }
                    return sum
                }
                let inside = (j + k) % 2 == 1 && n > 8 * d
                let steps = inside ? conv[(4 * d)..<(n - 4 * d)] : conv[...]
                for _ in 0..<f {
                    let bias = Double(parameters.biases[out.count])  // features are appended in order
                    out.append(Double(steps.filter { $0 > bias }.count) / Double(steps.count))
                }
                combination += 1
            }
        }
        return out
    }

    func testTransformIsTheDefinitionOnUnequalMultichannelSeries() throws {
        let data = Self.integerSeries(count: 12, channels: 3, lengths: 5...60, seed: 4)
        var g = SeededGenerator(seed: 5)
        let parameters = MiniRocketParameters.fit(Self.batch(data), features: 1000, maxDilations: 8, generator: &g)
        XCTAssertEqual(parameters.featureCount, 924)
        XCTAssertGreaterThan(parameters.dilations.count, 3)
        XCTAssertTrue(parameters.combinations.contains { $0.count > 1 })
        let transform = MiniRocketTransform(featureCount: parameters.featureCount)
        transform.set(parameters)
        let features = transform(Self.batch(data))
        for b in 0..<data.count {
            let expected = Self.referenceFeatures(parameters, series: data.values[b], channels: 3)
            let got = features[b].scalars
            XCTAssertEqual(got.count, expected.count)
            let differing = zip(got, expected).filter { abs(Double($0) - $1) > 1e-7 }.count
            XCTAssertEqual(differing, 0, "series \(b) of \(data.lengths[b]) steps")
        }
    }

    /// The biases from given series are the quantiles of their full convolutions (numpy's linear
    /// interpolation), on series with many equal values.
    func testBiasesAreQuantilesOfTheDrawnSeries() throws {
        let data = Self.integerSeries(count: 9, channels: 2, lengths: 3...200, seed: 8)
        var g = SeededGenerator(seed: 9)
        let fitted = MiniRocketParameters.fit(Self.batch(data), features: 2000, maxDilations: 32, generator: &g)
        let examples = (0..<fitted.combinations.count).map { $0 % data.count }
        let quantiles = MiniRocketParameters.quantiles(fitted.featureCount)
        let biases = MiniRocketTransform.fitBiases(
            fitted, batch: Self.batch(data), examples: examples, quantiles: quantiles)
        // Each combination's convolution of its series, from the features of a zero bias: the
        // reference convolves directly, sorts and interpolates.
        var feature = 0, combination = 0
        for (j, d) in fitted.dilations.enumerated() {
            for kernel in MiniRocketParameters.kernels {
                let series = data.values[examples[combination]], n = series.count / 2
                let conv = (0..<n).map { t -> Double in
                    var sum = 0.0
                    for c in fitted.combinations[combination] {
                        for i in 0..<9 where t + (i - 4) * d >= 0 && t + (i - 4) * d < n {
                            sum += (kernel.contains(i) ? 2 : -1) * Double(series[(t + (i - 4) * d) * 2 + c])
                        }
                    }
                    return sum
                }.sorted()
                for _ in 0..<fitted.featuresPerDilation[j] {
                    let position = Double(n - 1) * Double(quantiles[feature])
                    let lower = Int(position), m = position - Double(lower)
                    let expected = conv[lower] * (1 - m) + conv[min(lower + 1, n - 1)] * m
                    XCTAssertEqual(Double(biases[feature]), expected, accuracy: 1e-5, "feature \(feature)")
                    feature += 1
                }
                combination += 1
            }
        }
        XCTAssertEqual(feature, fitted.featureCount)
    }

    /// A series alone and padded in a batch with longer ones gets the same features.
    func testEachSeriesIsPooledOverItsOwnSteps() throws {
        let data = Self.integerSeries(count: 6, channels: 2, lengths: 10...90, seed: 6)
        var g = SeededGenerator(seed: 7)
        let parameters = MiniRocketParameters.fit(Self.batch(data), features: 840, maxDilations: 32, generator: &g)
        let transform = MiniRocketTransform(featureCount: parameters.featureCount)
        transform.set(parameters)
        let together = transform(Self.batch(data))
        for b in 0..<data.count {
            XCTAssertEqual(transform(Self.batch(data.subset([b]))).scalars, together[b].scalars, "series \(b)")
        }
    }

    /// StandardScaler(with_mean=False) + RidgeClassifierCV on scikit-learn's fixtures: the same
    /// deviations, leave-one-out errors, penalty, coefficients and decision values, in the Gram form
    /// (fewer series than features) and the covariance form (more).
    func checkRidge(_ name: String) throws {
        let f = try Self.fixture(name)
        let (n, p, K) = (f["rows"] as! Int, f["columns"] as! Int, f["classes"] as! Int)
        let x = Self.numbers(f["x"]).map { Float($0) }, targets = Self.integers(f["targets"])
        let scale = x.withUnsafeBufferPointer { FeatureScaling.deviations($0.baseAddress!, rows: n, columns: p) }
        for (a, b) in zip(scale, Self.numbers(f["scale"])) { XCTAssertEqual(a, b, accuracy: 1e-6 * b, name) }
        var scaled = (0..<(n * p)).map { Double(x[$0]) / scale[$0 % p] }
        let ridge = try RidgeClassifierCV(&scaled, rows: n, columns: p, targets: targets, classCount: K)
        XCTAssertEqual(ridge.alpha, f["alpha"] as! Double, accuracy: 1e-9, name)
        // scikit-learn rounds the scaled features to float32 before its double fit: agreement to ~1e-7.
        for (a, b) in zip(ridge.errors, Self.numbers(f["errors"])) { XCTAssertEqual(a, b, accuracy: 1e-6 * b, name) }
        // scikit-learn keeps one column for two classes (class 1's); ours has both, negatives of each other.
        let coef = Self.numbers(f["coef"]), intercept = Self.numbers(f["intercept"])
        let columns = K == 2 ? [1] : Array(0..<K)
        for (row, k) in columns.enumerated() {
            for j in 0..<p {
                XCTAssertEqual(
                    Double(ridge.weight[k * p + j]), coef[row * p + j], accuracy: 1e-5, "\(name) w[\(k), \(j)]")
                if K == 2 { XCTAssertEqual(ridge.weight[j], -ridge.weight[p + j], "\(name) w[0, \(j)]") }
            }
            XCTAssertEqual(Double(ridge.bias[k]), intercept[row], accuracy: 1e-5, name)
        }
        let test = Self.numbers(f["test"]), decision = Self.numbers(f["decision"])
        for i in 0..<(f["test_rows"] as! Int) {
            for (row, k) in columns.enumerated() {
                var score = Double(ridge.bias[k])
                for j in 0..<p { score += Double(ridge.weight[k * p + j]) * (test[i * p + j] / scale[j]) }
                XCTAssertEqual(score, decision[i * columns.count + row], accuracy: 1e-4, "\(name) decision \(i)")
            }
        }
    }

    func testRidgeInGramFormIsScikitLearns() throws { try checkRidge("ridge_gram.json") }
    func testRidgeInCovarianceFormIsScikitLearns() throws { try checkRidge("ridge_covariance.json") }

    /// A closed-form fit of series of unequal lengths and two channels.
    func fitted(seed: UInt64, features: Int = 840) throws -> (Classifier, LabeledSeries) {
        let data = ClassifierTests.task(count: 40, seed: 11)
        let model = Classifier(
            .miniRocket(features: features), channels: 2, length: nil, classNames: ["down", "up"],
            random: RandomSource(seed: seed))
        let chosen = try model.fit(data)
        XCTAssertEqual(chosen["features"], Double(MiniRocketParameters.featureCount(requested: features)))
        XCTAssertNotNil(chosen["ridge_alpha"])
        XCTAssertEqual(chosen["train_accuracy"], model.evaluate(on: data).accuracy)
        return (model, data)
    }

    func testFitsLearnsAndRoundTripsThroughTheClassifierFile() throws {
        let (model, data) = try fitted(seed: 1)
        XCTAssertTrue(model.architecture.isFitted)
        XCTAssertFalse(Architecture.fcn.isFitted)
        XCTAssertEqual(model.evaluate(on: data).accuracy, 1)
        let test = ClassifierTests.task(count: 40, seed: 12)
        XCTAssertGreaterThanOrEqual(model.evaluate(on: test).accuracy, 0.95)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("minirocket-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try model.save(to: dir + "/m.safetensors")
        let file = try SafeTensors.read(path: dir + "/m.safetensors")
        XCTAssertEqual(file.metadata["format"], "seqtool.classifier.v2")
        XCTAssertEqual(file.metadata["model"], "minirocket")
        XCTAssertEqual(file.tensors["transform.biases"]?.shape, [840])
        XCTAssertEqual(file.tensors["head.weight"]?.shape, [2, 840])
        let loaded = try Classifier.load(path: dir + "/m.safetensors")
        XCTAssertEqual(loaded.architecture, .miniRocket(features: 840, maxDilations: 32))
        XCTAssertEqual(loaded.probabilities(test), model.probabilities(test))

        // Damaged settings are errors naming the file and the key, never a crash.
        for (key, value, mention) in [
            ("dilations", "1,x", "metadata dilations"), ("features_per_dilation", "1,2", "features_per_dilation"),
            ("channel_combinations", "0", "channel_combinations"), ("max_dilations", "0", "max_dilations"),
        ] {
            var m = file.metadata
            m[key] = value
            if key == "channel_combinations" {
                let groups = file.metadata[key]!.split(separator: ",")
                m[key] = (["0+5"] + groups.dropFirst().map(String.init)).joined(separator: ",")
            }
            let path = dir + "/bad-\(key).safetensors"
            try SafeTensors.write(SafeTensors.File(tensors: file.tensors, metadata: m), to: path)
            XCTAssertThrowsError(try Classifier.load(path: path)) {
                XCTAssertTrue("\($0)".contains(path) && "\($0)".contains(mention), "\($0)")
            }
        }
    }

    func testTheSameSeedGivesTheSameModel() throws {
        let test = ClassifierTests.task(count: 10, seed: 13)
        let (a, _) = try fitted(seed: 3), (b, _) = try fitted(seed: 3), (c, _) = try fitted(seed: 4)
        XCTAssertEqual(a.probabilities(test), b.probabilities(test))
        XCTAssertEqual(a.metadata, b.metadata)
        XCTAssertNotEqual(a.metadata["channel_combinations"], c.metadata["channel_combinations"])
    }

    /// The four archive sets of ../shared, when they are there: within a point of aeon 1.6's
    /// MiniRocket (seed 1, same run: GunPoint 0.993, ItalyPowerDemand 0.967, BasicMotions 1.0; aeon
    /// cannot run PickupGestureWiimoteZ, unequal lengths, where ROCKET's published ~0.83 is the mark).
    func testArchiveSetsAreWithinAPointOfAeon() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/timeseries").standardized.path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder), "no ../shared/data/timeseries")
        for (name, aeon) in [
            ("GunPoint", 0.993), ("ItalyPowerDemand", 0.967), ("BasicMotions", 1.0), ("PickupGestureWiimoteZ", 0.82),
        ] {
            let train = try LabeledSeries(ts: "\(folder)/\(name)_TRAIN.ts")
            let test = try LabeledSeries(ts: "\(folder)/\(name)_TEST.ts")
            let model = Classifier(
                .miniRocket(), channels: train.channels, length: nil,
                classNames: LabeledSeries.classNames(train.labels!), random: RandomSource(seed: 1))
            try model.fit(train)
            XCTAssertGreaterThanOrEqual(model.evaluate(on: test).accuracy, aeon - 0.01, name)
        }
    }
}
