import Datasets
import Foundation
import SeqTensor
import XCTest

/// The `.ts` reader of the UCR/UEA archives: univariate and multivariate, equal and unequal
/// lengths, string labels, and the errors of bad files.
final class LabeledSeriesTests: XCTestCase {
    func testMultivariateStringLabelsTimeMajor() throws {
        let text = """
            # a comment: with a colon, and UTF-8 – dashes
            @problemName Toy
            @timeStamps false
            @univariate false
            @dimensions 2
            @equalLength true
            @seriesLength 3
            @classLabel true Walking Standing
            @data
            1,2,3:10,20,30:Walking\r
            4,5,6:40,50,60:Standing
            """
        let set = try LabeledSeries(tsText: text, source: "toy.ts")
        XCTAssertEqual(set.channels, 2)
        XCTAssertEqual(set.count, 2)
        XCTAssertEqual(set.values[0], [1, 10, 2, 20, 3, 30])
        XCTAssertEqual(set.labels!, ["Walking", "Standing"])
        XCTAssertEqual(set.declaredClasses!, ["Walking", "Standing"])
        XCTAssertEqual(LabeledSeries.classNames(set.labels!), ["Standing", "Walking"])
        XCTAssertTrue(set.isEqualLength)
    }

    func testUnivariateUnequalLengthsAndNumericClassOrder() throws {
        let text =
            "@problemName U\n@univariate true\n@equalLength false\n@classLabel true 1 2 10\n@data\n"
            + "1,2,3:10\n4:2\n5,6:1\n"
        let set = try LabeledSeries(tsText: text, source: "u.ts")
        XCTAssertEqual(set.channels, 1)
        XCTAssertEqual(set.lengths, [3, 1, 2])
        XCTAssertFalse(set.isEqualLength)
        XCTAssertEqual(LabeledSeries.classNames(set.labels!), ["1", "2", "10"])
        XCTAssertEqual(set.subset([2, 0]).labels!, ["1", "10"])
    }

    func testBadFilesNameTheLineCaseAndChannel() {
        func error(_ body: String) -> String {
            do {
                _ = try LabeledSeries(tsText: "@dimensions 2\n@classLabel true a b\n@data\n" + body, source: "bad.ts")
                return ""
            } catch { return "\(error)" }
        }
        XCTAssertTrue(error("1,2:3,?:a\n").contains("bad.ts:4: case 1, channel 2, value 2 is missing (?)"))
        XCTAssertTrue(error("1,2:3,4:a\n1,2:3,x:b\n").contains("bad.ts:5: case 2, channel 2, value 2: \"x\""))
        XCTAssertTrue(error("1,2:3:a\n").contains("channels have different lengths 2, 1"))
        XCTAssertTrue(error("1,2:a\n").contains("case 1 has 1 channels, expected 2"))
        XCTAssertTrue(error("1,2:3,4:c\n").contains("label \"c\" is not one of"))
        XCTAssertTrue(error("").contains("holds no cases"))
        XCTAssertThrowsError(try LabeledSeries(tsText: "@timeStamps true\n@data\n(1,2):a\n", source: "t.ts")) {
            XCTAssertTrue("\($0)".contains("@timeStamps true"), "\($0)")
        }
        XCTAssertThrowsError(try LabeledSeries(tsText: "1,2:a\n", source: "n.ts")) {
            XCTAssertTrue("\($0)".contains("n.ts:1: expected a @ header line"), "\($0)")
        }
    }

    /// aeon's own UnitTest_TRAIN.ts starts with `%` comment lines; the regression archive's files
    /// (`@targetLabel true`) are named as such rather than read as hundreds of numeric classes.
    func testPercentCommentsAndRegressionFiles() throws {
        let text = """
            %# This is a cut down version of the problem ChinaTown
            % The Train set is the same as ChinaTown
            %
            @problemName UnitTest
            @univariate true
            @equalLength true
            @classLabel true 1 2
            @data
            % a comment among the cases
            573.0,375.0,301.0:1
            394.0,264.0,140.0:2
            """
        let set = try LabeledSeries(tsText: text, source: "UnitTest_TRAIN.ts")
        XCTAssertEqual(set.count, 2)
        XCTAssertEqual(set.labels!, ["1", "2"])
        XCTAssertEqual(set.values[1], [394, 264, 140])
        let regression =
            "# Covid3Month\n@problemName Covid3Month\n@univariate true\n@targetLabel true\n@data\n0.0,1.0:0.03\n"
        XCTAssertThrowsError(try LabeledSeries(tsText: regression, source: "Covid3Month_TRAIN.ts")) {
            XCTAssertTrue(
                "\($0)".contains("Covid3Month_TRAIN.ts:4: @targetLabel true: this is a regression file"), "\($0)")
        }
        // @targetLabel false is a classification file like any other.
        let labelled = "@targetLabel false\n@classLabel true a\n@data\n1,2:a\n"
        XCTAssertEqual(try LabeledSeries(tsText: labelled, source: "f.ts").labels!, ["a"])
    }

    /// The four archive files in ../shared, when they are there: their sizes and classes.
    func testTheArchiveFilesRead() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/timeseries").standardized.path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder), "no ../shared/data/timeseries")
        let expected: [(String, Int, Int, Int)] = [
            ("GunPoint_TRAIN", 50, 1, 2), ("ItalyPowerDemand_TEST", 1029, 1, 2), ("BasicMotions_TRAIN", 40, 6, 4),
            ("PickupGestureWiimoteZ_TRAIN", 50, 1, 10),
        ]
        for (name, count, channels, classes) in expected {
            let set = try LabeledSeries(ts: folder + "/" + name + ".ts")
            XCTAssertEqual(set.count, count, name)
            XCTAssertEqual(set.channels, channels, name)
            XCTAssertEqual(LabeledSeries.classNames(set.labels!).count, classes, name)
        }
        let gestures = try LabeledSeries(ts: folder + "/PickupGestureWiimoteZ_TRAIN.ts")
        XCTAssertFalse(gestures.isEqualLength)
        XCTAssertEqual(gestures.lengths.min()!, 29, accuracy: 100)
    }

    /// Windows line endings and a byte-order mark read as Unix text does, in every text reader.
    func testEveryLineBreakAndUnicodeSpaces() throws {
        // Lines end as Character.isNewline says; fields are trimmed of any white space.
        let text = "0,1,2\r1,3,4\u{2028}0,5,6\u{85}1, \u{A0}7\t,8\r\n\n  \n0,9,10"
        let rows = try LabeledRows(
            LabeledSeries(csvText: text, source: "breaks.csv", labelColumn: .first), source: "breaks.csv")
        XCTAssertEqual(rows.labels, [0, 1, 0, 1, 0])
        XCTAssertEqual(rows.features.scalars, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        let bad = "0,1,2\r\n\r\n1,x,3\n"
        XCTAssertThrowsError(try LabeledSeries(csvText: bad, source: "bad.csv", labelColumn: .first)) {
            XCTAssertTrue("\($0)".contains("bad.csv:3:2"), "\($0)")
        }
    }

    func testCRLFAndByteOrderMark() throws {
        let rows = try LabeledRows(
            LabeledSeries(csvText: "\u{FEFF}label,a,b\r\n0,1,2\r\n1,3,4\r\n", source: "w.csv", labelColumn: .first),
            source: "w.csv")
        XCTAssertEqual(rows.labels, [0, 1])
        XCTAssertEqual(rows.features.scalars, [1, 2, 3, 4])
        let pairs = try StringPairs(tsvText: "ab\tba\r\ncd\tdc\r\n", source: "w.tsv")
        XCTAssertEqual(pairs.pairs.map(\.output), ["ba", "dc"])
        let series = try LabeledSeries(tsText: "\u{FEFF}@classLabel true x\r\n@data\r\n1,2:x\r\n", source: "w.ts")
        XCTAssertEqual(series.values, [[1, 2]])
    }

    /// Rows with class numbers need whole numbers from 0 as labels, and one length.
    func testRowsNeedClassNumbersAndOneLength() throws {
        let words = try LabeledSeries(csvText: "a,1,2\nb,3,4\n", source: "w.csv", labelColumn: .first)
        XCTAssertThrowsError(try LabeledRows(words, source: "w.csv")) {
            XCTAssertTrue("\($0)".contains("w.csv: series 1: label a is not a class number"), "\($0)")
        }
        let ragged = LabeledSeries(channels: 1, values: [[1, 2], [3]], labels: ["0", "1"])
        XCTAssertThrowsError(try LabeledRows(ragged, source: "r.ts")) {
            XCTAssertTrue("\($0)".contains("r.ts: series 2 has 1 steps, the first has 2"), "\($0)")
        }
        let rows = LabeledRows(features: Tensor([1, 2, 3, 4], shape: [2, 2]), labels: [1, 0])
        let series = LabeledSeries(rows: rows)
        XCTAssertEqual(series.labels!, ["1", "0"])
        XCTAssertEqual(try LabeledRows(series, source: "s").features.scalars, rows.features.scalars)
    }

    /// CSV rows as series: string labels first or last, a header, no labels; errors name the place.
    func testCSVRowsWithStringLabels() throws {
        let first = try LabeledSeries(
            csvText: "class,t0,t1\nWalking,1,2\nStanding,3,4\n", source: "a.csv", labelColumn: .first)
        XCTAssertEqual(first.labels!, ["Walking", "Standing"])
        XCTAssertEqual(first.values, [[1, 2], [3, 4]])
        let last = try LabeledSeries(csvText: "1,2,up\r\n3,4,down\r\n", source: "b.csv", labelColumn: .last)
        XCTAssertEqual(last.labels!, ["up", "down"])
        let none = try LabeledSeries(csvText: "1,2\n3,4\n", source: "c.csv", labelColumn: .none)
        XCTAssertNil(none.labels)
        XCTAssertThrowsError(try LabeledSeries(csvText: "a,1,2\nb,3\n", source: "d.csv", labelColumn: .first)) {
            XCTAssertTrue("\($0)".contains("d.csv:2: has 1 values, earlier rows have 2"), "\($0)")
            XCTAssertTrue("\($0)".contains(".ts format"), "\($0)")
        }
        XCTAssertThrowsError(try LabeledSeries(csvText: "a,1,2\nb,3,?\n", source: "e.csv", labelColumn: .first)) {
            XCTAssertTrue("\($0)".contains("e.csv:2:3: value \"?\" is missing"), "\($0)")
        }
    }
}
