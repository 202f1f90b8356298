import SeqTensor

/// The state a cell carries from one step to the next, as named parts in a fixed order, h first:
/// an LSTM's (h, c), a GRU's or an RNN's h.
///
/// A cell's step takes and returns parts of shape (B, H); a layer's initial and final states have
/// each part (L*D, B, H), layer-major (l0 forward, l0 reverse, l1 forward, ...), as PyTorch's
/// `(h_n, c_n)`.
public protocol CellState {
    /// The parts' names in order, h first: they name the fixture tensors (`h0`, `c_n`) and the
    /// checkpoint's carried state (`carry.h`, `carry.c`).
    static var partNames: [String] { get }
    /// The parts, in `partNames` order.
    var parts: [Variable] { get }
    /// The state of `parts`, in `partNames` order.
    init(parts: [Variable])
}

extension CellState {
    /// The same values cut from the graph: carry them into the next batch for truncated BPTT.
    public func detached() -> Self { Self(parts: parts.map { $0.detached() }) }
}

/// The state of an LSTM: the hidden state h (the output) and the cell state c.
public struct LSTMState: CellState {
    /// The hidden state and the cell state.
    public var h: Variable, c: Variable

    /// The state (h, c).
    public init(h: Variable, c: Variable) {
        self.h = h
        self.c = c
    }

    public static var partNames: [String] { ["h", "c"] }
    public var parts: [Variable] { [h, c] }
    public init(parts: [Variable]) {
        precondition(parts.count == 2, "LSTMState: \(parts.count) parts, expected h and c")
        self.init(h: parts[0], c: parts[1])
    }
}

/// The state of a cell whose state is its output alone (GRU, RNN): h.
public struct HiddenState: CellState {
    /// The hidden state.
    public var h: Variable

    /// The state h.
    public init(h: Variable) { self.h = h }

    public static var partNames: [String] { ["h"] }
    public var parts: [Variable] { [h] }
    public init(parts: [Variable]) {
        precondition(parts.count == 1, "HiddenState: \(parts.count) parts, expected h")
        self.init(h: parts[0])
    }
}

/// The state of any recurrent stack, its cell erased: the parts in the cell's order (h first;
/// `RecurrentStack.stateNames` names them), each (L*D, B, H). What task code that holds
/// `any RecurrentStack` carries from one batch to the next.
public struct RecurrentState {
    /// The parts, in the cell's `stateNames` order.
    public var parts: [Variable]

    /// The hidden states (L*D, B, H): the first part.
    public var h: Variable { parts[0] }

    /// A state of `parts`, in the cell's order (h first).
    public init(parts: [Variable]) {
        precondition(!parts.isEmpty, "RecurrentState: no parts")
        self.parts = parts
    }

    /// The parts of a typed state.
    public init(_ state: some CellState) { self.init(parts: state.parts) }

    /// The same values cut from the graph: carry them into the next batch for truncated BPTT.
    public func detached() -> RecurrentState { RecurrentState(parts: parts.map { $0.detached() }) }
}
