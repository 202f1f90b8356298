// swift-tools-version:6.0
import PackageDescription

// Release builds use full cross-module optimisation so that SeqTensor's kernels and SIMD math
// inline into the layers. (Not -Ounchecked: the shape preconditions stay armed.)
var numericFlags = ["-cross-module-optimization"]
#if arch(x86_64)
// SIMD8<Float> maps onto one AVX register and `addingProduct` onto one FMA instruction only
// when the code generator may use them: x86-64 with AVX2 and FMA (Haswell, 2013, and later).
numericFlags += ["-Xcc", "-mavx2", "-Xcc", "-mfma"]
#endif
let numericSettings: [SwiftSetting] = [.unsafeFlags(numericFlags, .when(configuration: .release))]

let package = Package(
    name: "seqtool",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "seqtool", targets: ["seqtool"]),
        .library(name: "SeqTensor", targets: ["SeqTensor"]),
        .library(name: "Feedforward", targets: ["Feedforward"]),
        .library(name: "Recurrent", targets: ["Recurrent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // C only where Swift cannot go: an AVX-512 GEMM chosen at run time and its thread pool.
        // -ffp-contract=off: the LSTM kernels must round exactly as their Swift twins do.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "SeqTensor", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: numericSettings),
        .target(name: "Feedforward", dependencies: ["SeqTensor"], swiftSettings: numericSettings),
        .target(name: "Recurrent", dependencies: ["Feedforward", "SeqTensor", "CKernels"], swiftSettings: numericSettings),
        .target(name: "Parity", dependencies: ["Recurrent", "Feedforward", "SeqTensor"], swiftSettings: numericSettings),
        .executableTarget(
            name: "seqtool",
            dependencies: [
                "Parity", "Recurrent", "Feedforward", "SeqTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: numericSettings
        ),
        .testTarget(
            name: "SeqTensorTests",
            dependencies: ["SeqTensor", "Parity"]
        ),
        .testTarget(name: "FeedforwardTests", dependencies: ["Feedforward", "Recurrent", "SeqTensor", "Parity"]),
        .testTarget(name: "RecurrentTests", dependencies: ["Recurrent", "Feedforward", "SeqTensor", "Parity"]),
        .testTarget(name: "SeqtoolTests", dependencies: ["seqtool"]),
    ],
    // Language mode 5: the numeric code shares raw buffers between threads by design (each
    // worker owns a disjoint slice); Swift 6's checker cannot see that partition, and wrapping
    // every pointer in an unchecked Sendable box would only hide the same decision.
    swiftLanguageModes: [.v5]
)
