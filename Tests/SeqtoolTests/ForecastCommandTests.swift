import Foundation
import XCTest

/// `forecast train`, `predict` and `evaluate` on files of each kind: the forecasts `predict`
/// writes are the ones the training run wrote, time stamps continue the series', the evaluation's
/// JSON line holds the interface's keys, and bad input fails with one error naming it.
final class ForecastCommandTests: XCTestCase {
    var runner: CommandRunner!

    override func setUpWithError() throws { runner = try CommandRunner() }
    override func tearDown() { runner.remove() }

    /// Monthly CSV: a time column and two series with a yearly season.
    func writeMonthly(_ name: String) throws -> String {
        var text = "Month,A,B\n"
        for t in 0..<60 {
            let month = String(format: "%04d-%02d", 2015 + t / 12, t % 12 + 1)
            let a = 100 + Double(t) + 10 * sin(Double(t) * .pi / 6),
                b = 50 - 0.3 * Double(t) + 5 * cos(Double(t) * .pi / 6)
            text += "\(month),\(a),\(b)\n"
        }
        try text.write(toFile: runner.path(name), atomically: true, encoding: .utf8)
        return name
    }

    func testTrainPredictGiveTheSameForecasts() throws {
        let data = try writeMonthly("monthly.csv")
        let train = try runner.run([
            "forecast", "train", "--train", data, "--horizon", "6", "--season", "12", "--hidden", "8", "--steps", "30",
            "--ensemble", "2", "--out", "m.safetensors", "--csv", "trained.csv", "--json", "--threads", "1",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertEqual(train.json["steps"] as? Int, 30)
        let predict = try runner.run([
            "forecast", "predict", "--model", "m.safetensors", "--input", data, "--csv", "predicted.csv", "--plot",
            "p.svg", "--threads", "1",
        ])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let trained = try String(contentsOfFile: runner.path("trained.csv"), encoding: .utf8)
        let predicted = try String(contentsOfFile: runner.path("predicted.csv"), encoding: .utf8)
        XCTAssertEqual(trained, predicted)
        let rows = predicted.split(separator: "\n")
        XCTAssertEqual(rows.count, 1 + 2 * 6)
        XCTAssertEqual(rows[0], "series,time,forecast")
        XCTAssertTrue(rows[1].hasPrefix("A,2020-01,"), String(rows[1]))
        XCTAssertTrue(rows[12].hasPrefix("B,2020-06,"), String(rows[12]))
        XCTAssertTrue(try String(contentsOfFile: runner.path("p.svg"), encoding: .utf8).contains("90% quantile"))
        let intervals = try runner.run([
            "forecast", "predict", "--model", "m.safetensors", "--input", data, "--intervals",
        ])
        XCTAssertTrue(intervals.stdout.hasPrefix("series,time,forecast,q0.1,q0.9\n"), intervals.stdout)
        // Yearly series have no months: a model that reads the season from the calendar refuses them.
        try "Year,V\n2001,1\n2002,2\n2003,4\n".write(toFile: runner.path("y.csv"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["forecast", "predict", "--model", "m.safetensors", "--input", "y.csv"], mentioning: "y.csv")
        try runner.expectFailure(["forecast", "predict", "--model", data, "--input", data], mentioning: data)
    }

    func testEvaluateReportsTheInterfaceKeys() throws {
        let data = try writeMonthly("monthly.csv")
        let r = try runner.run([
            "forecast", "evaluate", "--train", data, "--horizon", "12", "--season", "12", "--hidden", "8", "--steps",
            "20", "--ensemble", "1", "--seed", "1", "--json", "--plot", "e.svg",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        for key in ["mase", "smape", "rmse", "seconds"] { XCTAssertNotNil(r.json[key] as? Double, key) }
        let baselines = try XCTUnwrap(r.json["baselines"] as? [String: [String: Double]])
        XCTAssertEqual(Set(baselines.keys), ["naive", "seasonal_naive", "ses"])
        for (_, scores) in baselines {
            XCTAssertNotNil(scores["mase"])
            XCTAssertNotNil(scores["smape"])
        }
        XCTAssertTrue(r.stdout.contains("seasonal naive"), r.stdout)
        // A .tsf file's own horizon when --horizon is not given.
        let tsf = TimeSeriesTSF.write(runner)
        let own = try runner.run(["forecast", "evaluate", "--train", tsf, "--hidden", "4", "--steps", "5", "--json"])
        XCTAssertEqual(own.status, 0, own.stderr)
        XCTAssertEqual(own.json["horizon"] as? Int, 3)
    }

    func testBadInputFailsWithOneErrorNamingIt() throws {
        try "t,v\n2020-01,1\n2020-02,x\n".write(toFile: runner.path("bad.csv"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["forecast", "evaluate", "--train", "bad.csv", "--horizon", "1"], mentioning: "bad.csv:3:2:")
        try "@frequency yearly\n@data\n".write(toFile: runner.path("bad.tsf"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["forecast", "train", "--train", "bad.tsf", "--out", "m.safetensors"], mentioning: "bad.tsf")
        try "t,v\n1,1\n2,2\n3,3\n".write(toFile: runner.path("short.csv"), atomically: true, encoding: .utf8)
        try runner.expectFailure(
            ["forecast", "evaluate", "--train", "short.csv", "--horizon", "5"], mentioning: "short.csv")
        try runner.expectFailure(["forecast", "evaluate", "--train", "short.csv"], mentioning: "--horizon")
        try runner.expectFailure(
            ["forecast", "train", "--train", "short.csv", "--horizon", "1", "--ensemble", "0", "--out", "m"],
            mentioning: "--ensemble")
        for written in ["m", "m.safetensors", "m.state.safetensors"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: runner.path(written)), written)
        }
    }
}

/// A small `.tsf` file with its own horizon.
enum TimeSeriesTSF {
    static func write(_ runner: CommandRunner) -> String {
        var text = "@relation t\n@attribute series_name string\n@attribute start_timestamp date\n"
        text += "@frequency quarterly\n@horizon 3\n@missing true\n@equallength false\n@data\n"
        for k in 0..<4 {
            let values = (0..<(20 + k)).map { t in String(10 + k + t % 4 + t / 2) }
            text += "q\(k):2001-01-01 00-00-00:" + values.joined(separator: ",") + (k == 1 ? ",?" : "") + "\n"
        }
        try? text.write(toFile: runner.path("q.tsf"), atomically: true, encoding: .utf8)
        return "q.tsf"
    }
}
