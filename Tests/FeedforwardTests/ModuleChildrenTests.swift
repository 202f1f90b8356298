import Feedforward
import SeqTensor
import XCTest

/// A module that holds a module its `children` do not list is caught, naming the property,
/// wherever the module is held (directly, optionally, in an array or a struct); modules listed
/// as they should be pass, whatever else they hold.
final class ModuleChildrenTests: XCTestCase {
    final class Listed: Module {
        let first: Linear, second: Linear?, stack: [Linear], values = [Float](repeating: 1, count: 100_000)
        init(random: RandomSource) {
            first = Linear(inFeatures: 2, outFeatures: 3, random: random)
            second = Linear(inFeatures: 3, outFeatures: 3, random: random)
            stack = [Linear(inFeatures: 3, outFeatures: 1, random: random)]
        }
        var children: [(String, any Module)] {
            [("first", first)] + (second.map { [("second", $0)] } ?? []) + stack.map { ("stack.0", $0) }
        }
    }

    struct Branch {
        let projection: Linear
        let scale: Float
    }

    final class Forgetful: Module {
        let head: Linear, optional: Linear?, layers: [[Linear]], branch: Branch, listed: Linear
        init(random: RandomSource) {
            head = Linear(inFeatures: 2, outFeatures: 2, random: random)
            optional = Linear(inFeatures: 2, outFeatures: 2, random: random)
            layers = [[], [Linear(inFeatures: 2, outFeatures: 2, random: random)]]
            branch = Branch(projection: Linear(inFeatures: 2, outFeatures: 2, random: random), scale: 1)
            listed = Linear(inFeatures: 2, outFeatures: 2, random: random)
        }
        var children: [(String, any Module)] { [("listed", listed)] }
    }

    func testListedChildrenPass() {
        let module = Listed(random: RandomSource(seed: 1))
        XCTAssertEqual(module.unlistedModules, [])
        XCTAssertEqual(module.parameters.count, 6)
    }

    func testEveryForgottenModuleIsNamed() {
        let module = Forgetful(random: RandomSource(seed: 1))
        XCTAssertEqual(
            module.unlistedModules,
            ["Forgetful.head", "Forgetful.optional", "Forgetful.layers", "Forgetful.branch"])
    }
}
