import Foundation

/// A line chart as SVG, one look for every plot the commands write (loss curves, the class
/// staircase, generated curves, forecasts): several named series over shared axes, ticks at 1, 2
/// or 5 times a power of ten (whole numbers on step and class axes, class names on a class
/// axis), and a legend beside the plot, where it never covers the data.
struct SVGPlot {
    struct Series {
        var name: String
        var points: [(Double, Double)]
        var color: String
        var style = Style.line
    }

    enum Style {
        case line
        /// A marker at every point, no line (a prediction per sequence).
        case markers
        /// A line with a marker where each point was measured (validation every N steps).
        case lineAndMarkers
    }

    /// What an axis counts.
    enum Scale {
        case continuous
        /// Whole numbers only: steps, indices.
        case integer
        /// Classes 0..<names.count, labelled by name.
        case classes([String])
    }

    var title: String
    var xLabel: String, yLabel: String
    var series: [Series]
    var xScale = Scale.continuous
    var yScale = Scale.continuous

    static let width = 760.0, height = 420.0

    func render() -> String {
        let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        let x = Axis(all.map(\.0), scale: xScale, padding: 0)
        let y = Axis(all.map(\.1), scale: yScale, padding: 0.05)
        let legendWidth = 40 + 7 * Double(series.map(\.name.count).max() ?? 0)
        let left = 70.0, right = 20 + legendWidth, top = 40.0, bottom = 50.0
        let pw = Self.width - left - right, ph = Self.height - top - bottom
        func px(_ v: Double) -> String { f(left + x.fraction(v) * pw) }
        func py(_ v: Double) -> String { f(top + (1 - y.fraction(v)) * ph) }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.width))\" "
        s += "height=\"\(Int(Self.height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += text(Self.width / 2, 22, title, anchor: "middle", extra: " font-size=\"15\"")
        for (value, label) in x.ticks {
            s += line(px(value), f(top + ph), px(value), f(top + ph + 5), "#444")
            s += text(left + x.fraction(value) * pw, top + ph + 18, label, anchor: "middle")
        }
        for (value, label) in y.ticks {
            s += line(f(left - 5), py(value), f(left + pw), py(value), "#ddd")
            s += text(left - 8, top + (1 - y.fraction(value)) * ph + 4, label, anchor: "end")
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" "
        s += "fill=\"none\" stroke=\"#444\"/>\n"
        s += text(left + pw / 2, Self.height - 10, xLabel, anchor: "middle")
        s += "<text x=\"16\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" "
        s += "transform=\"rotate(-90 16 \(f(top + ph / 2)))\">\(escape(yLabel))</text>\n"
        for (k, line) in series.enumerated() {
            let points = line.points.filter { $0.0.isFinite && $0.1.isFinite }
            if line.style != .markers && !points.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\" points=\""
                s += points.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ") + "\"/>\n"
            }
            if line.style != .line {
                for p in points {
                    s += "<circle cx=\"\(px(p.0))\" cy=\"\(py(p.1))\" r=\"2.5\" fill=\"\(line.color)\"/>"
                }
                s += "\n"
            }
            // The legend, right of the plot area.
            let lx = left + pw + 16, ly = top + 10 + Double(k) * 18
            s += "<rect x=\"\(f(lx))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"12\" fill=\"\(line.color)\"/>"
            s += text(lx + 18, ly + 1, line.name, anchor: "start")
        }
        return s + "</svg>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    private func text(_ x: Double, _ y: Double, _ content: String, anchor: String, extra: String = "") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\"\(extra)>\(escape(content))</text>\n"
    }

    private func line(_ x1: String, _ y1: String, _ x2: String, _ y2: String, _ color: String) -> String {
        "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" stroke=\"\(color)\"/>"
    }
}

/// The range an axis shows and its ticks.
struct Axis {
    let low: Double, high: Double
    let ticks: [(value: Double, label: String)]

    /// About five ticks over the values' range, widened by `padding` of it on each side.
    init(_ values: [Double], scale: SVGPlot.Scale, padding: Double) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if case .classes(let names) = scale { (low, high) = (0, Double(max(names.count - 1, 1))) }
        // A flat series (or one flat to float precision) gets a range of its own size.
        if high - low <= 1e-6 * max(abs(low), abs(high)) {
            let half = max(0.5, abs(low) * 0.05)
            (low, high) = (low - half, high + half)
        }
        let margin = (high - low) * padding
        (self.low, self.high) = (low - margin, high + margin)
        switch scale {
        case .classes(let names):
            let step = max(1, Int(Self.niceStep(Double(names.count) / 10)))
            ticks = stride(from: 0, to: names.count, by: step).map { (Double($0), names[$0]) }
        case .integer:
            let step = max(1, Self.step(low: low, high: high).rounded())
            ticks = Self.multiples(of: step, from: low, to: high).map { ($0, String(format: "%.0f", $0)) }
        case .continuous:
            let step = Self.step(low: low, high: high)
            let decimals = max(0, -Int(log10(step).rounded(.down)))
            ticks = Self.multiples(of: step, from: low, to: high).map { ($0, String(format: "%.\(decimals)f", $0)) }
        }
    }

    /// The largest nice step that puts at least four ticks on [low, high].
    static func step(low: Double, high: Double) -> Double {
        var step = niceStep((high - low) / 4)
        for _ in 0..<60 where multiples(of: step, from: low, to: high).count < 4 {
            // The next smaller of 1, 2, 5 times a power of ten.
            let power = pow(10, log10(step).rounded(.down)), mantissa = (step / power).rounded()
            step = mantissa >= 5 ? 2 * power : mantissa >= 2 ? power : power / 2
        }
        return step
    }

    /// Where `value` falls between the ends, 0 to 1.
    func fraction(_ value: Double) -> Double { (value - low) / (high - low) }

    /// 1, 2 or 5 times a power of ten, the first not below `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, log10(rough).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough * (1 - 1e-9) }!
    }

    /// The multiples of `step` in [low, high].
    static func multiples(of step: Double, from low: Double, to high: Double) -> [Double] {
        let first = (low / step).rounded(.up)
        var values: [Double] = []
        for i in 0..<1000 {
            let value = (first + Double(i)) * step
            if value > high + step * 1e-9 { break }
            values.append(value == 0 ? 0 : value)  // no "-0"
        }
        return values
    }
}
