/// A problem with a user's data file: which file, where in it, and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// 1-based line number, when the problem is on one line.
    public let line: Int?
    /// 1-based column (CSV field), when the problem is in one field.
    public let column: Int?
    public let problem: String

    public init(file: String, line: Int? = nil, column: Int? = nil, problem: String) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(problem)"
    }
}
