import Synchronization

/// One recorded operation: the variables it read that need gradients, the variables it made,
/// and its backward, which turns the outputs' gradients into the inputs'.
final class GraphNode {
    /// Creation order: every input was made before the operation that reads it, so running
    /// nodes from the highest order down visits each after all of its consumers.
    let order: UInt64
    let inputs: [Variable]
    /// The outputs, held weakly: an output nobody holds can have received no gradient.
    private var outputs: [WeakVariable] = []
    private var backward: (([Tensor?]) -> Void)?

    init(inputs: [Variable], backward: @escaping ([Tensor?]) -> Void) {
        order = Graph.nextOrder()
        self.inputs = inputs
        self.backward = backward
    }

    func attach(_ output: Variable) {
        outputs.append(WeakVariable(variable: output))
        output.node = self
    }

    /// Runs the backward once, if any output got a gradient, then drops it and what it saved.
    func run() {
        let grads = outputs.map { $0.variable?.grad }
        if let backward, grads.contains(where: { $0 != nil }) { backward(grads) }
        backward = nil
        for output in outputs { output.variable?.node = nil }
    }

    private struct WeakVariable {
        weak var variable: Variable?
    }
}

/// Recording of differentiable operations: where operations attach their backward to their
/// outputs, and the switch that turns recording off for inference.
///
/// There is no process-wide tape. Each output holds its operation, each operation its inputs,
/// so a graph lives exactly as long as its values, and two models trained on two threads never
/// meet. Whether to record is a task-local value (a thread-local one outside tasks), so
/// `withoutRecording` on one thread leaves the others recording.
public enum Graph {
    @TaskLocal static var recording = true

    private static let counter = Atomic<UInt64>(0)

    static func nextOrder() -> UInt64 { counter.add(1, ordering: .relaxed).newValue }

    /// Whether operations on this thread (or task) are being recorded now.
    public static var isRecording: Bool { recording }

    /// Runs `body` without recording: inference, evaluation, sampling.
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        try $recording.withValue(false) { try body() }
    }

    /// Whether an operation on `inputs` would record (so it can skip saving what backward needs).
    public static func needsGrad(_ inputs: [Variable?]) -> Bool {
        isRecording && inputs.contains(where: { $0?.requiresGrad == true })
    }

    /// The output variable of a one-output operation on `inputs` with value `value`. When the
    /// output needs a gradient, `backward` is attached and later called with d(loss)/d(output)
    /// (only if backward reached the output).
    public static func output(
        _ value: Tensor, inputs: [Variable?], backward: @escaping (Tensor) -> Void
    ) -> Variable {
        let needs = needsGrad(inputs)
        let out = Variable(value, requiresGrad: needs)
        if needs { record(inputs: inputs, outputs: [out]) { grads in backward(grads[0]!) } }
        return out
    }

    /// Attaches `backward` to the outputs of an operation with several (made with
    /// `requiresGrad: needsGrad(inputs)`). It is called with each output's gradient (nil where
    /// backward did not reach it) once backward has reached any of them.
    public static func record(
        inputs: [Variable?], outputs: [Variable], backward: @escaping ([Tensor?]) -> Void
    ) {
        let node = GraphNode(inputs: inputs.compactMap { $0 }.filter(\.requiresGrad), backward: backward)
        for output in outputs { node.attach(output) }
    }

    /// Runs, latest first, the backward of every operation `root` depends on.
    static func runBackward(from root: Variable) {
        var nodes: [GraphNode] = []
        var seen = Set<ObjectIdentifier>()
        var stack = [root]
        while let variable = stack.popLast() {
            guard let node = variable.node, seen.insert(ObjectIdentifier(node)).inserted else { continue }
            nodes.append(node)
            stack.append(contentsOf: node.inputs)
        }
        nodes.sort { $0.order > $1.order }
        for node in nodes { node.run() }
    }
}
