#!/usr/bin/env bash
# Builds the libFuzzer targets (one binary per loader) with AddressSanitizer, by compiling the
# library modules with swiftc directly (SwiftPM would link its own main into an executable).
#   Tests/Fuzz/build.sh            -> .build-fuzz/fuzz-{safetensors,csv,corpus,pairs}
#   .build-fuzz/fuzz-csv Tests/Fuzz/corpus/csv -max_total_time=600 -rss_limit_mb=2048
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$out" -I Sources/COpenBLAS $(pkg-config --cflags openblas | sed 's/^/-Xcc /'))
for module in SeqTensor Feedforward Recurrent; do
    swiftc "${flags[@]}" -module-name "$module" -wmo -emit-module -emit-module-path "$out/$module.swiftmodule" \
        -c Sources/"$module"/*.swift -o "$out/$module.o"
done
for target in safetensors csv corpus pairs; do
    swiftc "${flags[@]}" -module-name "Fuzz_$target" Tests/Fuzz/targets/"$target".swift \
        "$out"/SeqTensor.o "$out"/Feedforward.o "$out"/Recurrent.o $(pkg-config --libs openblas) -o "$out/fuzz-$target"
done
echo "built $out/fuzz-{safetensors,csv,corpus,pairs}"
