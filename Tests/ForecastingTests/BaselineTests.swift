import XCTest

@testable import Forecasting

/// The baselines and metrics agree with statsforecast 2.1.1 and the anchors' script.
final class BaselineTests: XCTestCase {
    let y: [Float] = [3, 5, 4, 6, 8, 7, 9, 12, 11, 13]

    /// statsforecast: `golden_section_ses(y, 0.01, 0.99)` = 0.929069785553853, forecast 12.86205099574959.
    func testSESMatchesStatsforecast() {
        let alpha = Baseline.sesAlpha(y.map(Double.init), lower: 0.01, upper: 0.99)
        XCTAssertEqual(alpha, 0.929069785553853, accuracy: 1e-12)
        XCTAssertEqual(Baseline.sesForecast(y.map(Double.init), alpha: alpha), 12.86205099574959, accuracy: 1e-9)
        XCTAssertEqual(Baseline.ses.forecast(y, horizon: 3, season: 1), [12.862051, 12.862051, 12.862051])
    }

    /// `SeasonalNaive(season_length=4).forecast(y, h=6)` = 9, 12, 11, 13, 9, 12; naive repeats 13.
    func testNaiveForecasts() {
        XCTAssertEqual(Baseline.seasonalNaive.forecast(y, horizon: 6, season: 4), [9, 12, 11, 13, 9, 12])
        XCTAssertEqual(Baseline.naive.forecast(y, horizon: 2, season: 4), [13, 13])
        XCTAssertEqual(Baseline.seasonalNaive.forecast([1, 2], horizon: 2, season: 4), [2, 2])
    }

    /// MASE, sMAPE and RMSE as the anchors' script computes them.
    func testMetrics() throws {
        let history: [Float] = [1, 3, 2, 6], actual: [Float] = [5, 0], forecast: [Float] = [6, 0]
        let scale = try XCTUnwrap(ForecastMetrics.maseScale(history: history, season: 1))
        XCTAssertEqual(scale, (2 + 1 + 4) / 3, accuracy: 1e-12)
        XCTAssertEqual(ForecastMetrics.maseScale(history: history, season: 2)!, (1 + 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(
            ForecastMetrics.mase(actual: actual, forecast: forecast, scale: scale), 0.5 / scale, accuracy: 1e-12)
        XCTAssertEqual(ForecastMetrics.smape(actual: actual, forecast: forecast), (200.0 / 11 + 0) / 2, accuracy: 1e-9)
        XCTAssertNil(ForecastMetrics.maseScale(history: [2, 2, 2], season: 1))
        let scores = ForecastScores(
            histories: [history, [2, 2, 2]], actuals: [actual, [1, 1]], forecasts: [forecast, [1, 3]], season: 1)
        XCTAssertEqual(scores.scaledSeries, 1)
        XCTAssertEqual(scores.mase, 0.5 / scale, accuracy: 1e-12)
        XCTAssertEqual(scores.rmse, ((1 + 0 + 0 + 4) / 4.0).squareRoot(), accuracy: 1e-12)
    }
}
