// swift-tools-version:6.1
import PackageDescription

// No compiler flags anywhere (SwiftPM refuses unsafe build flags in a package resolved by version, so
// that would keep seqtool from being a dependency): the Swift code is built for the target's
// baseline (x86-64: SSE2), and what needs AVX2 or AVX-512 is C in `CKernels`, compiled for it
// function by function (`__attribute__((target(...)))`) and chosen at run time by `InstructionSet`;
// the C files set their own floating-point mode (`#pragma clang fp contract(off)`, Support.h).
// Release builds get whole-module optimisation and SwiftPM's default cross-module optimisation;
// what must inline across modules is `@inlinable`.

/// A library module of the numeric stack.
func library(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies)
}

/// An example program under Examples/, built like a user's package would build it.
func example(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies, path: "Examples/\(name)")
}

let package = Package(
    name: "seqtool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "seqtool", targets: ["seqtool"]),
        .library(name: "SeqTensor", targets: ["SeqTensor"]),
        .library(name: "Feedforward", targets: ["Feedforward"]),
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "LanguageModel", targets: ["LanguageModel"]),
        .library(name: "Classification", targets: ["Classification"]),
        .library(name: "Framings", targets: ["Framings"]),
        .library(name: "Forecasting", targets: ["Forecasting"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "Interchange", targets: ["Interchange"]),
    ],
    // Data-parallel training over OpenMPI (`swift build --traits MPI`); without the trait the
    // package builds and runs with no MPI installed.
    traits: [.trait(name: "MPI", description: "Train on several ranks with mpirun (needs OpenMPI: libopenmpi-dev).")],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation`: the DocC catalogs beside each library module.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // C only where Swift cannot go: GEMM, GEMV, gate kernels, maps and optimizer updates for
        // one instruction set each, chosen at run time, and the thread pool they run on.
        .target(name: "CKernels"),

        // The numeric stack, each module on the ones before it.
        library("SeqTensor", ["COpenBLAS", "CKernels"]),
        library("Feedforward", ["SeqTensor"]),
        library("Recurrent", ["Feedforward", "SeqTensor", "CKernels"]),

        // The training session every task trains through; data sets and readers; one module per task.
        library("Training", ["Feedforward", "SeqTensor"]),
        library("Datasets", ["SeqTensor"]),
        library("LanguageModel", ["Recurrent", "Feedforward", "SeqTensor", "Datasets", "Training", "CKernels"]),
        library("Classification", ["Recurrent", "Feedforward", "SeqTensor", "Datasets", "Training"]),
        library("Framings", ["Recurrent", "Feedforward", "SeqTensor", "Datasets", "Training"]),
        library("Forecasting", ["Recurrent", "Feedforward", "SeqTensor", "Datasets", "Training"]),

        // Models leaving and entering seqtool: ONNX graphs of every model kind but ensembles, and recurrent
        // models read from ONNX, with a hand-written protobuf writer and reader (no dependency).
        library(
            "Interchange",
            [
                "LanguageModel", "Classification", "Forecasting", "Framings", "Recurrent", "Feedforward", "SeqTensor",
                "Datasets",
            ]),

        // The ranks of an mpirun job as a ProcessGroup (MPI only with the trait).
        library("Distributed", ["SeqTensor", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]),

        // Checks against PyTorch's numbers and finite differences, data-parallel ranks on threads;
        // the loaders under libFuzzer.
        library("Parity", ["Recurrent", "Feedforward", "SeqTensor"]),
        // Test doubles (data-parallel ranks as threads), for the test targets only.
        library("TestSupport", ["SeqTensor"]),
        library(
            "Fuzzing",
            ["LanguageModel", "Classification", "Framings", "Forecasting", "Interchange", "Datasets", "SeqTensor"]),

        .executableTarget(
            name: "seqtool",
            dependencies: [
                "Parity", "LanguageModel", "Classification", "Framings", "Forecasting", "Training", "Datasets",
                "Recurrent", "Interchange",
                "Feedforward", "SeqTensor", "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Programs a user of the library would write, on its public API only; ExamplesTests runs them.
        example("SineClassifier", ["Datasets", "Feedforward", "Recurrent", "SeqTensor"]),
        example("CharModel", ["LanguageModel", "Datasets", "SeqTensor", "Training"]),
        example("CustomCell", ["Datasets", "Feedforward", "Recurrent", "SeqTensor"]),

        .testTarget(name: "SeqTensorTests", dependencies: ["SeqTensor", "Parity"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Feedforward", "SeqTensor", "TestSupport"]),
        .testTarget(name: "FeedforwardTests", dependencies: ["Feedforward", "SeqTensor", "Parity"]),
        .testTarget(name: "RecurrentTests", dependencies: ["Recurrent", "Feedforward", "SeqTensor", "Parity"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Fuzzing", "SeqTensor"]),
        .testTarget(
            name: "LanguageModelTests",
            dependencies: [
                "LanguageModel", "Datasets", "Recurrent", "Feedforward", "SeqTensor", "Training", "Parity",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "ClassificationTests",
            dependencies: [
                "Classification", "Datasets", "Recurrent", "Feedforward", "SeqTensor", "Training", "Parity",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "FramingsTests", dependencies: ["Framings", "Datasets", "Recurrent", "SeqTensor", "Training"]),
        .testTarget(
            name: "ForecastingTests",
            dependencies: ["Forecasting", "Datasets", "Recurrent", "Feedforward", "SeqTensor", "Training"]),
        .testTarget(name: "SeqtoolTests", dependencies: ["seqtool"]),
        .testTarget(
            name: "InterchangeTests",
            dependencies: [
                "Interchange", "LanguageModel", "Classification", "Forecasting", "Framings", "Datasets", "Recurrent",
                "SeqTensor",
            ]),
        .testTarget(name: "ExamplesTests", dependencies: ["SineClassifier", "CharModel", "CustomCell"]),
    ],
    swiftLanguageModes: [.v6]
)
