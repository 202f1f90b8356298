import Foundation

/// A minimal line chart as SVG: several named series over a shared x axis, with axes, ticks
/// and a legend. Enough for loss curves and the sine "staircase".
struct SVGPlot {
    struct Series {
        var name: String
        var points: [(Double, Double)]
        var color: String
        /// Draw markers instead of a line.
        var markers = false
    }

    var title: String
    var xLabel: String, yLabel: String
    var series: [Series]

    func render(width: Double = 720, height: Double = 420) -> String {
        let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        var (x0, x1) = (all.map(\.0).min() ?? 0, all.map(\.0).max() ?? 1)
        var (y0, y1) = (all.map(\.1).min() ?? 0, all.map(\.1).max() ?? 1)
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y1 = y0 + 1 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad
        y1 += pad
        let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let pw = width - left - right, ph = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func tick(_ v: Double) -> String {
            abs(v) >= 1000 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.3g", v)
        }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(esc(title))</text>\n"
        s +=
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" "
            + "stroke=\"#444\"/>\n"
        for i in 0...5 {
            let xv = x0 + (x1 - x0) * Double(i) / 5, yv = y0 + (y1 - y0) * Double(i) / 5
            s +=
                "<line x1=\"\(f(px(xv)))\" y1=\"\(f(top + ph))\" x2=\"\(f(px(xv)))\" y2=\"\(f(top + ph + 5))\" "
                + "stroke=\"#444\"/>"
            s += "<text x=\"\(f(px(xv)))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\">\(tick(xv))</text>\n"
            s +=
                "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(yv)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(yv)))\" "
                + "stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(py(yv) + 4))\" text-anchor=\"end\">\(tick(yv))</text>\n"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s +=
            "<text x=\"16\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
            + "\(f(top + ph / 2)))\">\(esc(yLabel))</text>\n"
        for (k, line) in series.enumerated() {
            let pts = line.points.filter { $0.0.isFinite && $0.1.isFinite }
            if line.markers {
                for p in pts {
                    s += "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"2.5\" fill=\"\(line.color)\"/>"
                }
                s += "\n"
            } else if !pts.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\" points=\""
                s += pts.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ") + "\"/>\n"
            }
            let ly = top + 16 + Double(k) * 18
            s +=
                "<rect x=\"\(f(left + pw - 150))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"12\" "
                + "fill=\"\(line.color)\"/>"
            s += "<text x=\"\(f(left + pw - 132))\" y=\"\(f(ly + 1))\">\(esc(line.name))</text>\n"
        }
        return s + "</svg>\n"
    }
}
