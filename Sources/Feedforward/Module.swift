import SeqTensor

/// A part of a model, PyTorch's `nn.Module`: it holds parameters under `state_dict` names, has
/// child modules, and a training or inference mode.
///
/// A composite model lists its children by name; everything else follows from that:
///
///     final class Classifier: Module {
///         let rnn: LSTM
///         let head: Linear
///         var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }
///         ...
///     }
///
/// gets `namedParameters` (`rnn.weight_ih_l0`, ..., `head.bias`), `parameters`, a recursive
/// `isTraining`, `inferenceMode { ... }`, and `save(to:metadata:)` / `load(from:)` of all its
/// parameters and metadata as one safetensors file.
///
/// A stored module that `children` forgets would be neither trained nor saved; `namedParameters`
/// (so every optimizer made from `parameters`, and every save and load) stops the program with a
/// message naming it (`unlistedModules`).
public protocol Module: AnyObject {
    /// Child modules by name, in `state_dict` order. None by default.
    var children: [(String, any Module)] { get }
    /// The name of parameter (or buffer) `name` of child `child` among this module's own:
    /// `"child.name"` by default, PyTorch's attribute path. A recurrent layer, whose children are
    /// its cells by layer, writes `weight_ih` of child `l1_reverse` as `weight_ih_l1_reverse`.
    func qualifiedName(_ name: String, inChild child: String) -> String
    /// The parameters this module holds itself (not through a child), by name: a layer's
    /// `weight` and `bias`. None by default.
    var directParameters: [(String, Parameter)] { get }
    /// State that is saved with the parameters but not trained, by name: batch norm's
    /// `running_mean` and `running_var` (PyTorch's buffers). None by default.
    var directBuffers: [(String, Variable)] { get }
    /// Training mode (true) or inference mode (false); dropout and batch statistics differ
    /// between them. By default a composite's mode is its children's, and setting it sets theirs.
    var isTraining: Bool { get set }
    /// One line for summaries: the module and its sizes. The type's name by default.
    var summaryName: String { get }
}

extension Module {
    public var children: [(String, any Module)] { [] }
    public var directParameters: [(String, Parameter)] { [] }
    public var directBuffers: [(String, Variable)] { [] }
    public var summaryName: String { String(describing: type(of: self)) }
    public func qualifiedName(_ name: String, inChild child: String) -> String { "\(child).\(name)" }

    public var isTraining: Bool {
        get { children.first?.1.isTraining ?? true }
        set { for (_, child) in children { child.isTraining = newValue } }
    }

    /// Every parameter under its `state_dict` name: this module's own, then each child's prefixed
    /// with the child's name and a dot (`qualifiedName(_:inChild:)`), depth first. Stops the
    /// program if a module of the tree holds one that its `children` do not list (each module
    /// checks its own stored properties on the way down: `unlistedModules`).
    public var namedParameters: [(String, Parameter)] {
        requireChildrenListed()
        return ownAndChildren(\.directParameters) { $0.namedParameters }
    }

    /// Every buffer under its `state_dict` name, prefixed as `namedParameters` are.
    public var namedBuffers: [(String, Variable)] { ownAndChildren(\.directBuffers) { $0.namedBuffers } }

    /// This module's own entries, then each child's under `qualifiedName(_:inChild:)`.
    private func ownAndChildren<Value>(
        _ own: KeyPath<Self, [(String, Value)]>, _ ofChild: (any Module) -> [(String, Value)]
    ) -> [(String, Value)] {
        self[keyPath: own]
            + children.flatMap { name, child in ofChild(child).map { (qualifiedName($0.0, inChild: name), $0.1) } }
    }

    /// What a file of this module holds: the parameters, then the buffers (PyTorch's `state_dict`).
    public var stateDict: [(String, Variable)] { namedParameters.map { ($0.0, $0.1 as Variable) } + namedBuffers }

    /// All parameters, in `namedParameters` order.
    public var parameters: [Parameter] { namedParameters.map(\.1) }

    /// Number of trainable values.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.1.value.count } }

    /// This module and every module below it, depth first, under their dotted paths ("" for this one).
    public var modules: [(String, any Module)] {
        [("", self)]
            + children.flatMap { name, child in
                child.modules.map { path, module in (path.isEmpty ? name : "\(name).\(path)", module) }
            }
    }

    /// Runs `body` in inference mode without recording gradients (PyTorch's `model.eval()` under
    /// `torch.no_grad()`), then puts every module back in the mode it had.
    public func inferenceMode<R>(_ body: () throws -> R) rethrows -> R {
        let all = modules.map(\.1)
        let modes = all.map(\.isTraining)
        for module in all { module.isTraining = false }
        defer { for (module, mode) in zip(all, modes) { module.isTraining = mode } }
        return try Graph.withoutRecording(body)
    }

    /// Writes every parameter and buffer (float32, under its `state_dict` name), any `tensors` beside them
    /// and `metadata` (string to string, the file's `__metadata__`) to a safetensors file at
    /// `path`, atomically.
    public func save(to path: String, metadata: [String: String] = [:], tensors: [String: Tensor] = [:]) throws {
        try ModelFile.write(stateDict, extra: tensors, metadata: metadata, to: path)
    }

    /// Loads every parameter from the safetensors file at `path` (as `save` writes it, or
    /// PyTorch's `save_file(model.state_dict())`) and returns the file's metadata. A missing
    /// tensor, another shape or a non-finite value is an error naming the file and the tensor;
    /// the parameters are changed only when all of them load.
    @discardableResult
    public func load(from path: String) throws -> [String: String] {
        let file = try SafeTensors.read(path: path)
        try load(file, path: path)
        return file.metadata
    }

    /// Loads every parameter from `file`, read from `path` (named in errors), as `load(from:)` does.
    public func load(_ file: SafeTensors.File, path: String) throws {
        try ModelFile.load(stateDict, from: file, path: path)
    }
}

/// A module that maps one variable to one variable, so that it can sit in a `Sequential`.
public protocol Layer: Module {
    func callAsFunction(_ x: Variable) -> Variable
}

/// Draws PyTorch's default initialisations: `kaiming_uniform_(a=sqrt(5))` for weights, which is
/// uniform in ±1/sqrt(fan_in), and the same bound for biases (Linear, Conv).
public func defaultUniform(_ shape: [Int], fanIn: Int, random: RandomSource) -> Tensor {
    let bound = 1 / Float(max(fanIn, 1)).squareRoot()
    return Tensor(uniform: shape, low: -bound, high: bound, generator: &random.generator)
}
