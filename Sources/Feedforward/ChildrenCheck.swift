/// The check that a module's `children` list every module it holds.
///
/// A module whose stored property holds a module that `children` does not list would silently
/// leave it out of `namedParameters`: neither trained (optimizers take `parameters`) nor saved.
/// The check reads the stored properties by reflection (`Mirror`) rather than generating
/// `children` with a macro: it needs no annotation on a user's module, works for the modules
/// users write in their own packages without swift-syntax (whose build costs minutes), and
/// `children` stays the one written statement of the names and their order, which are the file's
/// `state_dict` names. It runs where it is certain to run and cheap: in `namedParameters`, which
/// every optimizer (from `parameters`), every save and every load goes through, once per module,
/// over its stored properties only (a collection is looked into only when its first element holds
/// a module, so a large `[Float]` costs nothing).
extension Module {
    /// The stored properties of this module (not of its children) that hold a module `children`
    /// does not list, directly or in an optional, array, dictionary, tuple or struct, each as
    /// `Type.property`. Empty when `children` lists them all.
    public var unlistedModules: [String] {
        let listed = Set(children.map { ObjectIdentifier($0.1) })
        var unlisted: [String] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            for (label, value) in current.children {
                var held: [any Module] = []
                collectModules(in: value, into: &held)
                if held.contains(where: { !listed.contains(ObjectIdentifier($0)) }) {
                    unlisted.append("\(type(of: self)).\(label ?? "?")")
                }
            }
            mirror = current.superclassMirror
        }
        return unlisted
    }

    /// Stops the program, naming the property, when `unlistedModules` is not empty: a programmer
    /// error that would otherwise drop the module's parameters from training and from files.
    public func requireChildrenListed() {
        let unlisted = unlistedModules
        precondition(
            unlisted.isEmpty,
            "\(unlisted.joined(separator: ", ")) holds a module that `children` does not list: its parameters "
                + "would be neither trained nor saved. List it in `children`.")
    }
}

/// The modules `value` holds: itself if it is one, else those in its optional, collection, tuple,
/// struct or enum payload (not those behind another class, which owns them).
private func collectModules(in value: Any, into held: inout [any Module]) {
    if let module = value as? any Module {
        held.append(module)
        return
    }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional, .tuple, .struct, .enum:
        for child in mirror.children { collectModules(in: child.value, into: &held) }
    case .collection, .set, .dictionary:
        // The first element that is neither nil nor empty says whether the elements hold modules.
        var first: [any Module] = []
        let elements = mirror.children.makeIterator()
        while first.isEmpty, let element = elements.next() {
            collectModules(in: element.value, into: &first)
            if !first.isEmpty || !isNilOrEmpty(element.value) { break }
        }
        guard !first.isEmpty else { return }
        held += first
        while let element = elements.next() { collectModules(in: element.value, into: &held) }
    default:
        return
    }
}

/// Whether `value` is nil or an empty collection.
private func isNilOrEmpty(_ value: Any) -> Bool {
    let mirror = Mirror(reflecting: value)
    return [.optional, .collection, .set, .dictionary].contains(mirror.displayStyle) && mirror.children.isEmpty
}
