import SeqTensor

/// A recurrent cell's fused kernels: the gate layout, and the kernels of one time step for
/// training (forward, backward) and for batch-1 inference. The cell's step in autodiff operations
/// (`RecurrentCell.callAsFunction(_:state:)`) is their readable specification.
///
/// One conforming type per cell that has them, in the cell's own file (`LSTM.swift`, `GRU.swift`,
/// `RNN.swift`), returned by the cell's `fusedKernels`. The sequence layer (`recurrentSequence`),
/// backpropagation through time and the batch-1 stepper are generic over this protocol and never
/// ask which cell they run.
///
/// The kernels work on one time step of `rows` sequences of `hidden` units, gate blocks laid out
/// as PyTorch stacks them in `weight_ih` and `weight_hh`: row-major (rows, G*H).
public protocol CellKernels: Sendable {
    /// Gate blocks G stacked in the weights: LSTM 4 (i f g o), GRU 3 (r z n), RNN 1.
    var gateCount: Int { get }
    /// Whether the cell carries a cell state c beside h (LSTM).
    var hasCellState: Bool { get }
    /// Whether W_hh h + b_hh stays apart from the input projection W_ih x + b_ih (the GRU, whose
    /// n block multiplies it by the reset gate). Otherwise b_hh folds into the input bias and
    /// W_hh h adds onto the gates.
    var keepsRecurrentProjection: Bool { get }

    /// The step's forward: W_hh h_{t-1} with `step.recurrentWeights`, then the gates, into h_t (and c_t).
    func forward(_ step: CellStep)

    /// The gate kernel's backward: from dh_t (and dc_t) and what `forward` saved, the gradients
    /// of the pre-activations (`dGates`, and `dRecurrentProjection` for cells that keep it) and
    /// whatever reaches the previous state directly (dc_{t-1}; the GRU's z h_{t-1} term).
    func backward(_ step: CellGradientStep)

    /// dh_{t-1} through W_hh, after `backward` (and after the sequence layer has zeroed the
    /// gradients of finished rows): by default dh_{t-1} = dGates W_hh.
    func backwardThroughRecurrentWeights(_ step: CellGradientStep)

    /// One step of batch-1 inference for a block of units, storing nothing for backward.
    func infer(_ step: CellInferenceStep)

    /// `recurrentSequence` with this cell; implemented once, below. A requirement so that a call
    /// through `any CellKernels` (a layer holds its cell so) lands in the copy of the sequence loop
    /// compiled for this cell, not in the unspecialised generic one.
    func sequence(
        _ source: RecurrentInput, weights: RecurrentWeights, h0: Variable?, c0: Variable?, reverse: Bool,
        lengths: [Int]?
    ) -> (output: Variable, h: Variable, c: Variable?)
}

extension CellKernels {
    public func sequence(
        _ source: RecurrentInput, weights: RecurrentWeights, h0: Variable?, c0: Variable?, reverse: Bool,
        lengths: [Int]?
    ) -> (output: Variable, h: Variable, c: Variable?) {
        recurrentSequence(cell: self, source, weights: weights, h0: h0, c0: c0, reverse: reverse, lengths: lengths)
    }

    public func backwardThroughRecurrentWeights(_ step: CellGradientStep) {
        step.recurrentWeights.multiply(m: step.rows, step.dGates, beta: 0, step.dhPrev, threads: step.threads)
    }
}

/// The buffers of one forward time step. Every matrix is row-major with `rows` rows.
public struct CellStep {
    /// Rows of the batch this step runs (B or a thread's share) and hidden units (H).
    public var rows: Int, hidden: Int
    /// (rows, G*H): on entry W_ih x_t + the input bias; on return what `backward` reads (the
    /// activated gates).
    public var gates: UnsafeMutablePointer<Float>
    /// (rows, G*H), for cells that keep it (`keepsRecurrentProjection`): written with W_hh h_{t-1}
    /// and kept for backward.
    public var recurrentProjection: UnsafeMutablePointer<Float>?
    /// (rows, H): the state before this step, and where the state after it goes.
    public var hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>
    /// (rows, H): the cell state before and after, for cells that have one.
    public var cPrev: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?
    /// W_hh^T (H, G*H), packed once per sequence.
    public var recurrentWeights: PackedMatrix
    /// b_hh (G*H), for cells that keep their recurrent projection.
    public var recurrentBias: UnsafePointer<Float>?
    /// Threads the step's product may use (1 when the batch is already split over threads).
    public var threads: Int

    /// The step's buffers, as the fields describe them.
    public init(
        rows: Int, hidden: Int, gates: UnsafeMutablePointer<Float>, recurrentProjection: UnsafeMutablePointer<Float>?,
        hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>?, recurrentWeights: PackedMatrix, recurrentBias: UnsafePointer<Float>?,
        threads: Int
    ) {
        (self.rows, self.hidden, self.gates, self.recurrentProjection) = (rows, hidden, gates, recurrentProjection)
        (self.hPrev, self.h, self.cPrev, self.c) = (hPrev, h, cPrev, c)
        (self.recurrentWeights, self.recurrentBias, self.threads) = (recurrentWeights, recurrentBias, threads)
    }
}

/// The buffers of one backward time step: what forward saved, the incoming gradients, and
/// where the outgoing ones go.
public struct CellGradientStep {
    /// Rows of the batch this step runs (B or a thread's share) and hidden units (H).
    public var rows: Int, hidden: Int
    /// Saved by `forward`: (rows, G*H) each.
    public var gates: UnsafePointer<Float>, recurrentProjection: UnsafePointer<Float>?
    /// The states around the step, (rows, H).
    public var hPrev: UnsafePointer<Float>, h: UnsafePointer<Float>
    /// The cell states around the step (rows, H), for cells that have one.
    public var cPrev: UnsafePointer<Float>?, c: UnsafePointer<Float>?
    /// d loss / d h_t (all paths) and, for cells with a cell state, d loss / d c_t from step t+1.
    public var dh: UnsafePointer<Float>, dc: UnsafePointer<Float>?
    /// (rows, G*H): the gradients of the input-side pre-activations (W_ih x + b) and, for cells
    /// that keep it, of the recurrent projection.
    public var dGates: UnsafeMutablePointer<Float>, dRecurrentProjection: UnsafeMutablePointer<Float>?
    /// (rows, H): d loss / d h_{t-1} and d loss / d c_{t-1} through this step.
    public var dhPrev: UnsafeMutablePointer<Float>, dcPrev: UnsafeMutablePointer<Float>?
    /// W_hh (G*H, H), packed once per sequence.
    public var recurrentWeights: PackedMatrix
    /// Threads the step's product may use (1 when the batch is already split over threads).
    public var threads: Int

    /// The step's buffers, as the fields describe them.
    public init(
        rows: Int, hidden: Int, gates: UnsafePointer<Float>, recurrentProjection: UnsafePointer<Float>?,
        hPrev: UnsafePointer<Float>, h: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?, c: UnsafePointer<Float>?,
        dh: UnsafePointer<Float>, dc: UnsafePointer<Float>?, dGates: UnsafeMutablePointer<Float>,
        dRecurrentProjection: UnsafeMutablePointer<Float>?, dhPrev: UnsafeMutablePointer<Float>,
        dcPrev: UnsafeMutablePointer<Float>?, recurrentWeights: PackedMatrix, threads: Int
    ) {
        (self.rows, self.hidden, self.gates, self.recurrentProjection) = (rows, hidden, gates, recurrentProjection)
        (self.hPrev, self.h, self.cPrev, self.c, self.dh, self.dc) = (hPrev, h, cPrev, c, dh, dc)
        (self.dGates, self.dRecurrentProjection, self.dhPrev, self.dcPrev) = (
            dGates, dRecurrentProjection, dhPrev, dcPrev
        )
        (self.recurrentWeights, self.threads) = (recurrentWeights, threads)
    }
}

/// One batch-1 inference step over a block of `units` hidden units, whose gate blocks are stored
/// contiguously ([g_0 | g_1 | ...] over the block's units): the stepper's layout.
public struct CellInferenceStep {
    /// Hidden units in the block.
    public var units: Int
    /// (G*units): W_ih x + the input bias, and W_hh h_{t-1} without bias. Read only.
    public var input: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>
    /// b_hh of the block (G*units), for cells that keep their recurrent projection.
    public var recurrentBias: UnsafePointer<Float>?
    /// (G*units) scratch for the gates.
    public var gates: UnsafeMutablePointer<Float>
    /// (units): the state before the step and where the new one goes.
    public var hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>
    /// (units): the cell state, updated in place, and scratch for its old value.
    public var c: UnsafeMutablePointer<Float>?, cScratch: UnsafeMutablePointer<Float>?

    /// The step's buffers, as the fields describe them.
    public init(
        units: Int, input: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
        recurrentBias: UnsafePointer<Float>?, gates: UnsafeMutablePointer<Float>, hPrev: UnsafePointer<Float>,
        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?, cScratch: UnsafeMutablePointer<Float>?
    ) {
        (self.units, self.input, self.recurrent, self.recurrentBias, self.gates) =
            (units, input, recurrent, recurrentBias, gates)
        (self.hPrev, self.h, self.c, self.cScratch) = (hPrev, h, c, cScratch)
    }
}

/// Eight lanes of a row of `n` floats at a time, with a zero-padded tail: the portable kernels'
/// loads and stores.
enum Lanes {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ j: Int, _ n: Int) -> SIMD8<Float> {
        if j + 8 <= n { return UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>(repeating: 0)
        for k in 0..<(n - j) { v[k] = p[j + k] }
        return v
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ j: Int, _ n: Int) {
        if j + 8 <= n {
            UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: SIMD8<Float>.self)
        } else {
            for k in 0..<(n - j) { p[j + k] = v[k] }
        }
    }
}
