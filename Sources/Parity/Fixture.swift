import Foundation
import SeqTensor

/// One PyTorch reference case (`../shared/parity/README.md`): a kind, the constructor config,
/// and named float64 or int64 tensors (inputs, parameters, expected outputs and gradients).
public struct Fixture {
    public struct Values {
        public let shape: [Int]
        public let data: [Double]
        public let isInteger: Bool

        /// As float32 (inputs are float32-exact by construction).
        public var tensor: Tensor { Tensor(data.map { Float($0) }, shape: shape) }
        public var integers: [Int] { data.map { Int($0) } }
    }

    public let name: String
    public let kind: String
    public let config: [String: Any]
    public let tensors: [String: Values]

    /// Reads the fixture file at `path`.
    public init(path: String) throws {
        name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParityError("\(path): cannot be read")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ParityError("\(path): not a JSON object")
        }
        guard let kind = root["kind"] as? String else { throw ParityError("\(path): no \"kind\"") }
        self.kind = kind
        config = root["config"] as? [String: Any] ?? [:]
        guard let tensorsObject = root["tensors"] as? [String: Any] else {
            throw ParityError("\(path): no \"tensors\"")
        }
        var tensors: [String: Values] = [:]
        for (key, value) in tensorsObject {
            guard let t = value as? [String: Any], let shapeAny = t["shape"] as? [Any],
                let dataAny = t["data"] as? [Any]
            else {
                throw ParityError("\(path): tensor \"\(key)\" lacks shape or data")
            }
            let shape = shapeAny.compactMap { ($0 as? NSNumber)?.intValue }
            let values = dataAny.compactMap { ($0 as? NSNumber)?.doubleValue }
            guard shape.count == shapeAny.count, values.count == dataAny.count, values.count == shape.reduce(1, *)
            else {
                throw ParityError("\(path): tensor \"\(key)\" has \(dataAny.count) values for shape \(shapeAny)")
            }
            tensors[key] = Values(shape: shape, data: values, isInteger: (t["dtype"] as? String) == "int64")
        }
        self.tensors = tensors
    }

    /// The tensor `name` as float32, or an error naming the case and the tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let v = tensors[name] else { throw ParityError("\(self.name): missing tensor \"\(name)\"") }
        return v.tensor
    }

    public func optionalTensor(_ name: String) -> Tensor? { tensors[name]?.tensor }

    public func integers(_ name: String) throws -> [Int] {
        guard let v = tensors[name] else { throw ParityError("\(self.name): missing tensor \"\(name)\"") }
        return v.integers
    }

    // Config readers: PyTorch writes ints, floats, bools, lists and null.

    /// Whether `key` is present and not null.
    public func isSet(_ key: String) -> Bool { config[key] != nil && !(config[key] is NSNull) }

    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        if let n = config[key] as? NSNumber { return n.intValue }
        if let value, config[key] == nil || config[key] is NSNull { return value }
        throw ParityError("\(name): config \"\(key)\" missing or not a number")
    }

    public func float(_ key: String, default value: Float? = nil) throws -> Float {
        if let n = config[key] as? NSNumber { return n.floatValue }
        if let value, config[key] == nil || config[key] is NSNull { return value }
        throw ParityError("\(name): config \"\(key)\" missing or not a number")
    }

    public func bool(_ key: String, default value: Bool) -> Bool {
        (config[key] as? NSNumber)?.boolValue ?? value
    }

    /// An int or a pair of ints (kernel_size=3 or (3, 2)).
    public func pair(_ key: String, default value: Int? = nil) throws -> (Int, Int) {
        if let list = config[key] as? [Any] {
            let ints = list.compactMap { ($0 as? NSNumber)?.intValue }
            if ints.count == 2 { return (ints[0], ints[1]) }
            if ints.count == 1 { return (ints[0], ints[0]) }
        }
        let v = try int(key, default: value)
        return (v, v)
    }

    /// A pair of floats (Adam's betas).
    public func floatPair(_ key: String, default value: (Float, Float)) throws -> (Float, Float) {
        guard let any = config[key] else { return value }
        guard let list = any as? [Any], list.count == 2, let a = list[0] as? NSNumber, let b = list[1] as? NSNumber
        else {
            throw ParityError("\(name): config \"\(key)\" is not a pair of numbers")
        }
        return (a.floatValue, b.floatValue)
    }

    /// Throws when `key` is set to something other than the values this implementation covers.
    public func require(_ key: String, in allowed: [String]) throws {
        guard let v = config[key], !(v is NSNull) else { return }
        let text = (v as? String) ?? (v as? NSNumber)?.stringValue ?? "\(v)"
        guard allowed.contains(text) else { throw ParityError("\(name): config \(key)=\(text) is not supported") }
    }
}

/// A parity case that could not be run, naming the case and why.
public struct ParityError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
