#!/usr/bin/env bash
# Builds the DocC documentation of the library modules, offline, into one combined archive
# (.build/docs, or the folder given), with warnings as errors: a broken link or a parameter
# documented under the wrong name fails the build. View it with
#   python3 -m http.server --directory .build/docs 8000   and open http://localhost:8000/documentation/
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/docs}"
targets=()
for module in SeqTensor Feedforward Recurrent Training Datasets LanguageModel Classification Framings Forecasting Distributed Interchange; do
    targets+=(--target "$module")
done
swift package --disable-sandbox generate-documentation --enable-experimental-combined-documentation \
    "${targets[@]}" --transform-for-static-hosting --output-path "$out" --warnings-as-errors
echo "documentation: $out (serve it and open /documentation/)" >&2
