#!/usr/bin/env bash
# Builds the libFuzzer targets (one binary per loader) with AddressSanitizer, by compiling the
# library modules with swiftc directly (SwiftPM would link its own main into an executable).
#   Tests/Fuzz/build.sh            -> .build-fuzz/fuzz-<target> for every target below
#   .build-fuzz/fuzz-csv Tests/Fuzz/corpus/csv -max_total_time=600 -rss_limit_mb=2048
set -euo pipefail
cd "$(dirname "$0")/../.."
targets="safetensors csv ts tsf timecsv corpus pairs tokens classifier generator seq2seq forecaster onnx"
out=.build-fuzz
mkdir -p "$out"
# The C kernels: objects, and a module map for swiftc (SwiftPM writes its own).
mkdir -p "$out/CKernels"
printf 'module CKernels {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CKernels/include/CKernels.h" > "$out/CKernels/module.modulemap"
ckernels=()
for source in Sources/CKernels/*.c; do
    object="$out/CKernels/$(basename "$source" .c).o"
    clang -O3 -ffp-contract=off -fsanitize=address -g -I Sources/CKernels/include -c "$source" -o "$object"
    ckernels+=("$object")
done
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$out" -I "$out/CKernels" -I Sources/COpenBLAS $(pkg-config --cflags openblas | sed 's/^/-Xcc /'))
# The modules the loaders live in, each on the ones before it (Package.swift's order).
modules=(SeqTensor Feedforward Recurrent Training Datasets LanguageModel Classification Framings Forecasting Interchange
    Fuzzing)
objects=()
for module in "${modules[@]}"; do
    objects+=("$out/$module.o")
    swiftc "${flags[@]}" -swift-version 6 -module-name "$module" -wmo -emit-module \
        -emit-module-path "$out/$module.swiftmodule" -c $(find Sources/"$module" -name '*.swift') -o "$out/$module.o"
done
for target in $targets; do
    swiftc "${flags[@]}" -module-name "Fuzz_$target" Tests/Fuzz/targets/"$target".swift \
        "${objects[@]}" "${ckernels[@]}" $(pkg-config --libs openblas) -o "$out/fuzz-$target"
done
echo "built $(for t in $targets; do printf '%s ' "$out/fuzz-$t"; done)"
