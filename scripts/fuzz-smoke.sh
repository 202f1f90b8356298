#!/usr/bin/env bash
# A short run of every libFuzzer target (Tests/Fuzz): builds them with AddressSanitizer, then feeds
# each its seeds and SECONDS (default 10) of mutated inputs. A crash, a leak, a hang or a runaway
# allocation fails; the input that did it is left in .build-fuzz/ (see Tests/Fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
Tests/Fuzz/build.sh > .build-fuzz.log 2>&1 || { tail -20 .build-fuzz.log; exit 1; }
export SWIFT_BACKTRACE=enable=no
for target in safetensors csv ts tsf timecsv corpus pairs tokens classifier generator seq2seq forecaster onnx; do
    work=".build-fuzz/corpus-$target"
    rm -rf "$work" && mkdir -p "$work"
    cp Tests/Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    echo "fuzz $target: ${seconds} s" >&2
    ".build-fuzz/fuzz-$target" "$work" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -timeout=10 -artifact_prefix=".build-fuzz/crash-$target-" -print_final_stats=0 > ".build-fuzz/$target.log" 2>&1 \
        || { tail -30 ".build-fuzz/$target.log"; echo "fuzz $target failed: .build-fuzz/$target.log" >&2; exit 1; }
done
