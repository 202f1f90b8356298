/// Why a model cannot become an ONNX graph: what (a cell, an architecture, a file) and why.
public struct ExportError: Error, CustomStringConvertible, Equatable {
    /// What cannot be exported: "cell layer_norm_lstm", "architecture minirocket", a file's path.
    public let subject: String
    /// Why, in words a user can act on.
    public let reason: String

    /// The error for `subject`, because of `reason`.
    public init(_ subject: String, _ reason: String) { (self.subject, self.reason) = (subject, reason) }

    public var description: String { "cannot export \(subject) to ONNX: \(reason)" }
}
