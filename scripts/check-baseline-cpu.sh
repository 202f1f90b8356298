#!/usr/bin/env bash
# The release binary on an x86-64 CPU without AVX, AVX2 or FMA: Debian's qemu-user runs it as a
# Westmere (2010; SSE4.2), which raises an illegal-instruction signal at the first instruction
# that CPU lacks, so a build that assumes AVX2 anywhere (the Swift code, a C kernel outside its
# `target` attribute, an unguarded call) fails here. Checks that the portable path is chosen and
# passes every parity fixture, that a small training run gives the loss the portable path gives
# on this machine, and that SEQTOOL_ISA=avx2 is refused with a clear error.
#
#   scripts/check-baseline-cpu.sh [BINARY]     default .build/release/seqtool (needs qemu-user)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/seqtool}
[ "$(uname -m)" = x86_64 ] || { echo "check-baseline-cpu: not an x86-64 machine, nothing to check" >&2; exit 0; }
command -v qemu-x86_64 >/dev/null || { echo "check-baseline-cpu: qemu-x86_64 missing (apt-get install qemu-user)" >&2; exit 1; }
old_cpu() { qemu-x86_64 -cpu Westmere "$binary" "$@"; }
fail() { echo "check-baseline-cpu: $*" >&2; exit 1; }

parity=$(old_cpu parity Tests/Fixtures/parity) || fail "parity failed on a Westmere: $parity"
tail -1 <<<"$parity" | grep -q "passed, 0 failed" || fail "parity on a Westmere: $(tail -1 <<<"$parity")"

flags=(bench charlm --hidden 32 --layers 2 --embed 8 --seq 16 --batch 4 --steps 6 --warmup 1 --sample-len 20 --json)
emulated=$(old_cpu "${flags[@]}" | tail -1)
native=$(SEQTOOL_ISA=portable "$binary" "${flags[@]}" | tail -1)
field() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p" <<<"$2"; }
[ "$(field isa "$emulated")" = '"portable"' ] || fail "a Westmere ran $(field isa "$emulated"), not portable"
# OpenBLAS picks other kernels on the older CPU, so the loss may differ in its last digits.
awk -v a="$(field final_loss "$emulated")" -v b="$(field final_loss "$native")" \
    'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-5 * (b < 0 ? -b : b)) }' ||
    fail "loss on a Westmere $(field final_loss "$emulated"), here $(field final_loss "$native")"

if refused=$(SEQTOOL_ISA=avx2 old_cpu parity Tests/Fixtures/parity 2>&1); then
    fail "SEQTOOL_ISA=avx2 ran on a Westmere"
fi
grep -q "SEQTOOL_ISA=avx2: this CPU does not run avx2" <<<"$refused" || fail "SEQTOOL_ISA=avx2 on a Westmere: $refused"
echo "check-baseline-cpu: on a Westmere the portable path ran, passed parity and trained to loss" \
    "$(field final_loss "$emulated") (here $(field final_loss "$native"))" >&2
