import Forecasting
import Recurrent
import SeqTensor

extension GlobalForecaster {
    /// The forecaster as an ONNX graph from the end of each series to its forecast: `history`
    /// (float [B, T], each series' last values, at most `window` of them, left-aligned), `lengths`
    /// (int64 [B], each row's own values; the rest padding) and, with a season, `phase` (int64
    /// [B], the position in the season of each row's first value) -> `forecast` ([B, Q, H], every
    /// quantile of every step after the end, on the series' scale).
    ///
    /// Everything `forecast(_:phases:)` does is in the graph: each window's scaling
    /// (`ScalingRule`), its features, every member's network, the median over the members, the
    /// scale put back and the quantiles sorted so that they do not cross.
    /// - Throws: `ExportError` when the cell has no ONNX operator.
    public func onnxModel() throws(ExportError) -> ONNX.Model {
        let c = configuration, Q = c.quantiles.count, H = c.horizon, M = members.count
        switch c.scaling {
        case .lastValueMeanStep: break  // the rule `WindowFeatures` computes
        }
        let b = GraphBuilder(
            name: "seqtool_forecaster",
            docString: "A global forecaster (\(M) \(c.cell.name) member(s)): \(Q) quantile(s) of the \(H) steps "
                + "after the end of each series.")
        let history = b.input(
            ONNX.ValueInfo(
                "history", .float, [.symbolic("batch"), .symbolic("steps")],
                docString: "Each series' last values (batch, steps), oldest first, at most \(c.window) (the "
                    + "model's window: pass the last \(c.window) of a longer series); after lengths[b] values, padding."
            ))
        let lengths = b.input(
            ONNX.ValueInfo(
                "lengths", .int64, [.symbolic("batch")],
                docString: "Each row's own values (batch), in 1...steps."))
        let phase =
            c.season > 1
            ? b.input(
                ONNX.ValueInfo(
                    "phase", .int64, [.symbolic("batch")],
                    docString: "The position in the season of \(c.season) steps of each row's first value (batch)."))
            : nil
        let window = WindowFeatures(b, history: history, lengths: lengths, phase: phase, season: c.season)
        var outputs: [String] = []
        for (k, member) in members.enumerated() {
            let values = try emitRecurrentStack(
                b, RecurrentStackWeights(member.rnn), prefix: "members.\(k).rnn", input: window.features,
                sequenceLengths: window.sequenceLengths, initialState: nil, needsOutput: false)
            let last = b.op("Squeeze", [values.finalStates[0].last!, b.int64s([0])])
            let head = Dictionary(
                member.head.stateDict.map { ("members.\(k).head." + $0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a }
            )
            outputs.append(b.op("Unsqueeze", [b.linear(last, "members.\(k).head", head), b.int64s([0])]))
        }
        // The median over the members: sorted along axis 0, the middle one (or the mean of two).
        let stacked = M == 1 ? outputs[0] : b.op("Concat", outputs, [ONNX.Attribute("axis", .int(0))])
        let sorted = b.node(
            "TopK", [stacked, b.int64s([Int64(M)])],
            [ONNX.Attribute("axis", .int(0)), ONNX.Attribute("largest", .int(0))], count: 2)[0]
        let middle = { (m: Int) in
            b.op("Gather", [sorted, b.scalar(Int64(m), "member_\(m)")], [ONNX.Attribute("axis", .int(0))])
        }
        let median =
            M % 2 == 1
            ? middle(M / 2)
            : b.op("Div", [b.op("Add", [middle(M / 2 - 1), middle(M / 2)]), b.weight("two", [2], [])])
        let rescaled = b.op(
            "Add", [window.location, b.op("Mul", [window.scale, median])], doc: "location + scale * median")
        let grid = b.op("Reshape", [rescaled, b.int64s([0, Int64(H), Int64(Q)])])
        let ascending = b.node(
            "TopK", [grid, b.int64s([Int64(Q)])],
            [ONNX.Attribute("axis", .int(2)), ONNX.Attribute("largest", .int(0))], doc: "quantiles that do not cross",
            count: 2)[0]
        b.node("Transpose", [ascending], [ONNX.Attribute("perm", .ints([0, 2, 1]))], outputs: ["forecast"])
        b.output(
            ONNX.ValueInfo(
                "forecast", .float, [.symbolic("batch"), .fixed(Q), .fixed(H)],
                docString: "The forecast (batch, quantiles, horizon): quantile q (metadata quantiles) of step h + 1 "
                    + "after each series' last value; the 0.5 quantile is the point forecast."))
        return ONNX.Model(graph: b.graph, docString: "seqtool global forecaster", metadata: metadata)
    }
}

/// `ForecastInputs` in the graph: each window's location (its last value) and scale (its mean
/// absolute step, else its mean absolute value, else 1), and the features of every step,
/// time-major (T, B, F).
struct WindowFeatures {
    /// (B, 1) each.
    let location: String, scale: String
    /// (T, B, F).
    let features: String
    /// (B) int32.
    let sequenceLengths: String

    init(_ b: GraphBuilder, history: String, lengths: String, phase: String?, season: Int) {
        let float = ONNX.Attribute("to", .int(ONNX.ElementType.float.rawValue))
        let zero = b.weight("zero", [0], []), one = b.weight("one_f", [1], [])
        let unsqueezeLast = { (x: String) in b.op("Unsqueeze", [x, b.int64s([-1])]) }
        // steps index t (1, T) and the mask t < lengths (B, T)
        let T = b.op("Shape", [history], [ONNX.Attribute("start", .int(1)), ONNX.Attribute("end", .int(2))])
        let range = b.op("Range", [b.scalar(0, "zero_i"), b.op("Squeeze", [T, b.int64s([0])]), b.scalar(1, "one_i")])
        let t = b.op("Unsqueeze", [range, b.int64s([0])])
        let lengthColumn = unsqueezeLast(lengths)
        let inside = b.op("Less", [t, lengthColumn], doc: "(batch, steps): the row's own values")
        let v = b.op("Where", [inside, history, zero], doc: "padding set to 0 (it may be anything, NaN included)")
        let count = b.op("Cast", [lengthColumn], [float])
        // previous value (the first value's own at t = 0)
        let previous = b.op(
            "Concat",
            [
                b.op("Slice", [v, b.int64s([0]), b.int64s([1]), b.int64s([1])]),
                b.op("Slice", [v, b.int64s([0]), b.int64s([-1]), b.int64s([1])]),
            ], [ONNX.Attribute("axis", .int(1))])
        let step = b.op("Sub", [v, previous])
        let ownStep = b.op("Where", [inside, step, zero])
        let location = b.op(
            "GatherElements", [v, b.op("Sub", [lengthColumn, b.int64s([1])])], [ONNX.Attribute("axis", .int(1))],
            doc: "location: the last value")
        let sumSteps = b.op("ReduceSum", [b.op("Abs", [ownStep]), b.int64s([1])])
        let sumMagnitude = b.op("ReduceSum", [b.op("Abs", [v]), b.int64s([1])])
        let intervals = b.op("Max", [b.op("Sub", [count, one]), one], doc: "max(L - 1, 1)")
        let meanStep = b.op("Div", [sumSteps, intervals])
        let meanMagnitude = b.op("Div", [sumMagnitude, count])
        let positive = { (x: String) in b.op("Greater", [x, zero]) }
        let fallback = b.op("Where", [positive(meanStep), meanStep, meanMagnitude])
        let scale = b.op(
            "Where", [positive(fallback), fallback, one], doc: "scale: mean |step|, else mean |value|, else 1")
        // features: (v - location) * (1 / (scale * max(L - 1, 1))) and (v - previous) * (1 / scale)
        let level = b.op("Mul", [b.op("Sub", [v, location]), b.op("Reciprocal", [b.op("Mul", [scale, intervals])])])
        var columns = [level, b.op("Mul", [step, b.op("Reciprocal", [scale])])]
        if let phase {
            let position = b.op("Mod", [b.op("Add", [unsqueezeLast(phase), t]), b.int64s([Int64(season)])])
            let angle = b.op(
                "Div",
                [
                    b.op("Mul", [b.weight("two_pi", [2 * Float.pi], []), b.op("Cast", [position], [float])]),
                    b.weight("season", [Float(season)], []),
                ], doc: "2 pi (position in the season) / season")
            columns += [b.op("Sin", [angle]), b.op("Cos", [angle])]
        }
        let stacked = b.op("Concat", columns.map(unsqueezeLast), [ONNX.Attribute("axis", .int(2))])
        features = b.op(
            "Transpose", [stacked], [ONNX.Attribute("perm", .ints([1, 0, 2]))], doc: "(steps, batch, features)")
        sequenceLengths = b.op("Cast", [lengths], [ONNX.Attribute("to", .int(ONNX.ElementType.int32.rawValue))])
        (self.location, self.scale) = (location, scale)
    }
}
