/// Saving and loading a model's named parameters as one safetensors file, shared by every model
/// kind (each adds its own metadata: format, architecture, vocabulary, ...).
public enum ModelFile {
    /// A model file that does not fit the model it is loaded into.
    public struct MismatchError: Error, CustomStringConvertible {
        /// The error's text, naming the file.
        public let description: String
    }

    /// Writes `parameters` (float32, under their names; buffers such as running statistics too),
    /// any `extra` tensors and `metadata` to `path`, atomically.
    public static func write(
        _ parameters: [(String, Variable)], extra: [String: Tensor] = [:], metadata: [String: String], to path: String
    ) throws {
        var tensors = extra.mapValues { SafeTensors.Entry($0) }
        for (name, p) in parameters { tensors[name] = SafeTensors.Entry(p.value) }
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: metadata), to: path)
    }

    /// Checks, before a model is built from a file's metadata, that the file stores exactly the
    /// tensors `shapes` names with those shapes: corrupt sizes in the metadata are an error, never
    /// a huge allocation.
    public static func check(_ shapes: [(String, [Int])], in file: SafeTensors.File, path: String) throws {
        for (name, shape) in shapes {
            guard let entry = file.tensors[name] else {
                throw MismatchError(description: "\(path): tensor \(name) is missing")
            }
            guard entry.shape == shape else {
                throw MismatchError(
                    description: "\(path): tensor \(name) has shape \(entry.shape), the metadata implies \(shape)")
            }
        }
    }

    /// Copies every tensor of `file` named in `parameters` into it; a missing tensor, another
    /// shape, a non-float type or a non-finite value is an error naming the file and the tensor,
    /// and leaves every parameter as it was.
    public static func load(_ parameters: [(String, Variable)], from file: SafeTensors.File, path: String) throws {
        var values: [Tensor] = []
        for (name, p) in parameters {
            guard let entry = file.tensors[name] else {
                throw MismatchError(description: "\(path): tensor \(name) is missing")
            }
            guard entry.shape == p.shape else {
                throw MismatchError(
                    description: "\(path): tensor \(name) has shape \(entry.shape), the model needs \(p.shape)")
            }
            guard entry.dtype == .f32 || entry.dtype == .f64 else {
                throw MismatchError(
                    description: "\(path): tensor \(name) has dtype \(entry.dtype.rawValue), expected F32")
            }
            let t = entry.tensor
            guard t.scalars.allSatisfy({ $0.isFinite }) else {
                throw MismatchError(description: "\(path): tensor \(name) holds NaN or infinite values")
            }
            values.append(t)
        }
        for ((_, p), t) in zip(parameters, values) { p.value = t }
    }
}
