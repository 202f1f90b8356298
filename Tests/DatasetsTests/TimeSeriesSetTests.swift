import Datasets
import Foundation
import SeqTensor
import XCTest

/// The forecasting readers: `.tsf`, CSV with a time column, the long format and rows; time
/// stamps continued by the frequency; errors that name the file, the line and the series.
final class TimeSeriesSetTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/forecasting").path

    func expectError(_ mentions: [String], _ body: () throws -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            for mention in mentions {
                XCTAssertTrue("\(error)".contains(mention), "\(error) does not mention \(mention)", line: line)
            }
        }
    }

    func testTSFHeaderMissingValuesAndUnequalLengths() throws {
        let set = try TimeSeriesSet.read(path: Self.fixtures + "/yearly.tsf")
        XCTAssertEqual(set.series.map(\.name), ["A", "B", "C"])
        XCTAssertEqual(set.series.map(\.values.count), [8, 7, 9])
        XCTAssertEqual(set.frequency, Frequency(.year))
        XCTAssertEqual(set.horizon, 2)
        XCTAssertEqual(set.missingCount, 2)
        XCTAssertEqual(set.series[1].start.description, "1995-01-01 00-00-00")
        let filled = try set.fillingMissing()
        XCTAssertEqual(filled.series[1].values, [5, 5, 7, 8, 8, 9, 11])
        XCTAssertEqual(filled.time(series: 1, step: 7).description, "2002-01-01 00-00-00")
    }

    func testTSFErrorsNameTheLineAndTheSeries() {
        let header = "@attribute series_name string\n@frequency monthly\n@missing false\n@equallength true\n@data\n"
        expectError(["t.tsf:6:", "series s1", "value 2", "@missing false"]) {
            _ = try TimeSeriesSet(tsfText: header + "s1:1,?,3\n", source: "t.tsf")
        }
        expectError(["t.tsf:7:", "series s2", "@equallength"]) {
            _ = try TimeSeriesSet(tsfText: header + "s1:1,2,3\ns2:1,2\n", source: "t.tsf")
        }
        expectError(["t.tsf:6:", "series s1", "\"x\""]) {
            _ = try TimeSeriesSet(tsfText: header + "s1:1,x,3\n", source: "t.tsf")
        }
        expectError(["t.tsf:6:", "series 1", "attribute"]) {
            _ = try TimeSeriesSet(tsfText: header + "1,2,3\n", source: "t.tsf")
        }
        expectError(["t.tsf:1:", "@frequency"]) {
            _ = try TimeSeriesSet(tsfText: "@frequency fortnightly\n", source: "t.tsf")
        }
        // A start named `start_timestamp` but declared of another type is still parsed as a date.
        expectError(["t.tsf:4:", "series 1", "start_timestamp", "\"1.5e3\"", "not a date"]) {
            _ = try TimeSeriesSet(
                tsfText: "@attribute series_name string\n@attribute start_timestamp numeric\n@data\nA:1.5e3:1,2\n",
                source: "t.tsf")
        }
        expectError(["no @data"]) { _ = try TimeSeriesSet(tsfText: "@horizon 3\n", source: "t.tsf") }
    }

    func testCSVWithATimeColumn() throws {
        let set = try TimeSeriesSet.read(path: Self.fixtures + "/monthly.csv")
        XCTAssertEqual(set.series.map(\.name), ["North", "South"])
        XCTAssertEqual(set.frequency, Frequency(.month))
        // South starts at its first value; its "?" is missing.
        XCTAssertEqual(set.series[1].start.description, "2019-12")
        XCTAssertEqual(set.series[1].values.filter(\.isNaN).count, 1)
        XCTAssertEqual(set.time(series: 0, step: 6).description, "2020-05")
        XCTAssertEqual(set.seasonPositionsOfFirstValues(), [10, 11])
    }

    func testLongFormatAndRows() throws {
        let long = try TimeSeriesSet.read(path: Self.fixtures + "/long.csv")
        XCTAssertEqual(long.series.map(\.name), ["a", "b"])
        XCTAssertEqual(long.series.map(\.values), [[1.5, 2.5, 2], [7, 8]])
        XCTAssertEqual(long.frequency, Frequency(.day))
        XCTAssertEqual(long.time(series: 1, step: 2).description, "2020-01-04")
        let rows = try TimeSeriesSet(csvText: "0,1,2,3\n1,4,5,6\n", source: "r.csv", labelColumn: .first)
        XCTAssertEqual(rows.series.map(\.values), [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(rows.time(series: 0, step: 3).description, "3")
        // A pandas row index before the time column is skipped; quoted names lose their quotes.
        let indexed = try TimeSeriesSet(
            csvText: ",Quarter,\"Income\"\n0,1970 Q1,0.5\n1,1970 Q2,0.7\n", source: "q.csv")
        XCTAssertEqual(indexed.series.map(\.name), ["Income"])
        XCTAssertEqual(indexed.frequency, Frequency(.quarter))
        XCTAssertEqual(indexed.time(series: 0, step: 2).description, "1970 Q3")
        let years = try TimeSeriesSet(csvText: "Year,Count\n1821,5\n1822,7\n", source: "y.csv")
        XCTAssertEqual(years.time(series: 0, step: 2).description, "1823")
    }

    func testCSVErrorsNameTheLineAndColumn() {
        expectError(["m.csv:4:1:", "not one step"]) {
            _ = try TimeSeriesSet(csvText: "t,v\n2020-01,1\n2020-02,2\n2020-04,3\n", source: "m.csv")
        }
        expectError(["m.csv:2:2:", "\"abc\""]) {
            _ = try TimeSeriesSet(csvText: "t,v\n2020-01,abc\n", source: "m.csv")
        }
        expectError(["m.csv:2:1:", "time stamp"]) {
            _ = try TimeSeriesSet(csvText: "t,v\nmonday,1\n", source: "m.csv", layout: .columns)
        }
        expectError(["series v", "no values"]) { _ = try TimeSeriesSet(csvText: "t,v\n2020-01,?\n", source: "m.csv") }
    }

    func testTimeStampsFollowTheCalendar() throws {
        let monthly = Frequency(.month)
        XCTAssertEqual(TimeStamp("2020-01-31")!.advanced(by: 1, frequency: monthly).description, "2020-02-29")
        XCTAssertEqual(TimeStamp("1999-12")!.advanced(by: 1, frequency: monthly).description, "2000-01")
        // Month-end dates stay month ends, and read as monthly data.
        XCTAssertEqual(TimeStamp("2019-02-28")!.advanced(by: 1, frequency: monthly).description, "2019-03-31")
        let ends = try TimeSeriesSet(csvText: "t,v\n2020-01-31,1\n2020-02-29,2\n2020-03-31,3\n", source: "e.csv")
        XCTAssertEqual(ends.frequency, monthly)
        XCTAssertEqual(ends.time(series: 0, step: 3).description, "2020-04-30")
        // A fixed day that is sometimes its month's last (the 30th, the 28th) is monthly too.
        let thirtieth = try TimeSeriesSet(
            csvText: "t,v\n2020-05-30,1\n2020-06-30,2\n2020-07-30,3\n", source: "d.csv")
        XCTAssertEqual(thirtieth.frequency, monthly)
        XCTAssertEqual(thirtieth.series[0].values.count, 3)
        let twentyEighth = try TimeSeriesSet(
            csvText: "t,v\n2019-01-28,1\n2019-02-28,2\n2019-03-28,3\n", source: "f.csv")
        XCTAssertEqual(twentyEighth.series[0].values.count, 3)
        // Without a header the first line is data (a time column; or id, time, value).
        let bare = try TimeSeriesSet(csvText: "2020-01,5,6\n2020-02,7,8\n", source: "b.csv")
        XCTAssertEqual(bare.series.map(\.values), [[5, 7], [6, 8]])
        let bareLong = try TimeSeriesSet(csvText: "A,2020-01,5\nA,2020-02,6\nB,2020-01,1\n", source: "l.csv")
        XCTAssertEqual(bareLong.series.map(\.values), [[5, 6], [1]])
        XCTAssertEqual(TimeStamp("2020-02-28")!.advanced(by: 2, frequency: Frequency(.day)).description, "2020-03-01")
        XCTAssertEqual(
            TimeStamp("2021-12-31T23:30:00")!.advanced(by: 1, frequency: Frequency(name: "half_hourly")).description,
            "2022-01-01T00:00:00")
        XCTAssertEqual(TimeStamp("2020-01")!.advanced(by: -1, frequency: Frequency(.quarter)).description, "2019-10")
        XCTAssertEqual(Frequency(name: "10_minutes"), Frequency(.minute, count: 10))
        XCTAssertEqual(Frequency(.minute, count: 10).seasonalPeriod, 144)
        XCTAssertNil(Frequency(.year).seasonalPeriod)
        // 2024-01-01 was a Monday: day 0 of the week.
        XCTAssertEqual(TimeStamp("2024-01-01")!.phase(period: 7, frequency: Frequency(.day)), 0)
        XCTAssertEqual(TimeStamp("1949-03")!.phase(period: 12, frequency: monthly), 2)
        // Month names, quarters and zones, written back as they were read.
        XCTAssertEqual(TimeStamp("1991 Jul")!.advanced(by: 6, frequency: monthly).description, "1992 Jan")
        XCTAssertEqual(TimeStamp("1970 Q4")!.advanced(by: 1, frequency: Frequency(.quarter)).description, "1971 Q1")
        XCTAssertEqual(TimeStamp("1970Q2")!.description, "1970Q2")
        XCTAssertEqual(
            TimeStamp("2021-05-01 23:30:00+00:00")!.advanced(by: 1, frequency: Frequency(.minute, count: 30))
                .description, "2021-05-02 00:00:00+00:00")
        XCTAssertEqual(TimeStamp("2021-05-01T10:00Z")!.description, "2021-05-01T10:00Z")
        XCTAssertEqual(TimeStamp("1972-01-01 00-00-00")!.description, "1972-01-01 00-00-00")
        XCTAssertNil(TimeStamp("2020-13"))
        XCTAssertNil(TimeStamp("2019-02-29"))
    }
}

extension TimeSeriesSet {
    /// The month of the year (0 = January) of each series' first value.
    func seasonPositionsOfFirstValues() -> [Int?] { series.map { $0.start.phase(period: 12, frequency: frequency) } }
}
