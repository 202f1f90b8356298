import Foundation

/// One JSON object on one line, keys sorted, for `--json` summaries.
func jsonLine(_ object: [String: Any]) -> String {
    func clean(_ v: Any) -> Any {
        switch v {
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let d as Double: return d.isFinite ? d : NSNull()
        case let a as [Any]: return a.map(clean)
        case let o as [String: Any]: return o.mapValues(clean)
        default: return v
        }
    }
    let data = try! JSONSerialization.data(
        withJSONObject: clean(object), options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}

/// `value` as a whole number when it is one ("4"), otherwise with two decimals ("4.25").
func wholeOrFraction(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
}
