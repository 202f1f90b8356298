import Datasets
import Feedforward
import Foundation
import SeqTensor

/// Several classifiers of the same classes and channels whose class probabilities are averaged,
/// as InceptionTime (Fawaz et al. 2020) averages five networks trained from five seeds. Members
/// may be of any architecture, each with its own standardisation and settings.
///
///     let members = try (0..<5).map { k in
///         let run = ClassifierTraining(plan: try .init(data: training, seed: 1 + UInt64(k)), architecture: .fcn)
///         try run.session.run()
///         return run.classifier
///     }
///     let ensemble = ClassifierEnsemble(members: members)
///     print(ensemble.evaluate(on: test).accuracy)
///
/// Saved as one safetensors file: member k's tensors under `member.k.` (`member.0.conv.0.weight`)
/// and its metadata under `member.k.` keys (`member.0.model`), beside the ensemble's own:
/// `format` = `seqtool.classifier-ensemble.v1`, `members`, `model`, `channels` and `class_names`.
/// A single model's file is a `Classifier`'s, unchanged.
public final class ClassifierEnsemble: SeriesClassifier {
    /// The `format` of an ensemble file's metadata.
    public static let format = "seqtool.classifier-ensemble.v1"
    /// The most members a file may hold.
    public static let maximumMembers = 256

    /// The classifiers whose probabilities are averaged.
    public let members: [Classifier]
    /// The metadata saved with each member (its training summary: steps, epochs, best epoch).
    public var memberSummaries: [[String: String]]

    /// An ensemble of `members` (at least one; every one of the same classes, in the same order,
    /// and channels), with `summaries` saved beside each member's own metadata.
    public init(members: [Classifier], summaries: [[String: String]] = []) {
        precondition(!members.isEmpty, "ClassifierEnsemble: no members")
        for m in members {
            precondition(
                m.classNames == members[0].classNames && m.channels == members[0].channels,
                "ClassifierEnsemble: members of different classes or channels")
        }
        self.members = members
        memberSummaries = summaries.count == members.count ? summaries : members.map { _ in [:] }
    }

    public var classNames: [String] { members[0].classNames }
    public var channels: Int { members[0].channels }

    /// `5 x fcn` for five of one architecture, else the names joined by `+`.
    public var modelName: String {
        let names = members.map(\.architecture.name)
        return Set(names).count == 1 ? "\(names.count) x \(names[0])" : names.joined(separator: "+")
    }

    /// The mean of the members' probabilities (N, K).
    public func probabilities(_ data: LabeledSeries, batch: Int) -> [[Float]] {
        var sum = members[0].probabilities(data, batch: batch)
        for member in members.dropFirst() {
            for (i, p) in member.probabilities(data, batch: batch).enumerated() {
                for k in p.indices { sum[i][k] += p[k] }
            }
        }
        let scale = 1 / Float(members.count)
        return sum.map { $0.map { $0 * scale } }
    }

    /// The first member's problem with `data`, if any member has one.
    public func problem(with data: LabeledSeries, source: String) -> String? {
        members.lazy.compactMap { $0.problem(with: data, source: source) }.first
    }

    /// Whether `metadata` is an ensemble file's.
    public static func isEnsemble(_ metadata: [String: String]) -> Bool { metadata["format"] == format }

    /// The metadata of the ensemble itself (the members' are under `member.k.` keys).
    public var metadata: [String: String] {
        let names = String(decoding: (try? JSONEncoder().encode(classNames)) ?? Data("[]".utf8), as: UTF8.self)
        return [
            "format": Self.format, "members": String(members.count), "model": modelName, "channels": String(channels),
            "class_names": names,
        ]
    }

    /// Writes the ensemble (atomically): every member's tensors and metadata under `member.k.`,
    /// the ensemble's metadata and `extra`.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        var tensors: [(String, Variable)] = [], m = extra.merging(metadata) { $1 }
        for (k, member) in members.enumerated() {
            tensors += member.stateDict.map { ("member.\(k).\($0.0)", $0.1) }
            for (key, value) in memberSummaries[k].merging(member.metadata, uniquingKeysWith: { $1 })
            where key != "class_names" {
                m["member.\(k).\(key)"] = value
            }
        }
        try ModelFile.write(tensors, metadata: m, to: path)
    }

    /// Loads an ensemble file; errors name the file, and the member when it is one of them.
    public static func load(path: String) throws -> ClassifierEnsemble {
        try load(SafeTensors.read(path: path), path: path)
    }

    /// The ensemble in `file`, read from `path` (named in errors).
    public static func load(_ file: SafeTensors.File, path: String) throws -> ClassifierEnsemble {
        let m = file.metadata
        guard isEnsemble(m) else {
            throw DataError(file: path, problem: "is not a classifier ensemble (\(format))")
        }
        let count = try requireMetadataInt(m, "members", limit: maximumMembers, path: path)
        var members: [Classifier] = [], summaries: [[String: String]] = []
        for k in 0..<count {
            let prefix = "member.\(k)."
            var tensors: [String: SafeTensors.Entry] = [:], own: [String: String] = [:]
            for (name, entry) in file.tensors where name.hasPrefix(prefix) {
                tensors[String(name.dropFirst(prefix.count))] = entry
            }
            for (key, value) in m where key.hasPrefix(prefix) { own[String(key.dropFirst(prefix.count))] = value }
            own["class_names"] = m["class_names"]
            let member = try Classifier.load(
                SafeTensors.File(tensors: tensors, metadata: own), path: "\(path) (member \(k))")
            if let first = members.first, member.classNames != first.classNames || member.channels != first.channels {
                throw DataError(file: path, problem: "member \(k) has other classes or channels than member 0")
            }
            members.append(member)
            summaries.append(own)
        }
        let prefixes = (0..<count).map { "member.\($0)." }
        if let stray = file.tensors.keys.sorted().first(where: { name in !prefixes.contains { name.hasPrefix($0) } }) {
            throw DataError(file: path, problem: "tensor \(stray) belongs to no member (the file has \(count))")
        }
        return ClassifierEnsemble(members: members, summaries: summaries)
    }
}
