#!/usr/bin/env bash
# seqtool as a versioned dependency, the way a user adds it: a clone of this repository's HEAD,
# tagged 0.1.0, in a temporary folder; a new package that depends on it with
# `.package(url: "file://...", from: "0.1.0")` and the products Recurrent and SeqTensor; a debug
# build of that package (SwiftPM refuses a dependency with unsafe build flags at that point, in
# any configuration) that links OpenBLAS and no MPI, and a run of its program,
# Tests/Dependency/main.swift, on a PyTorch parity fixture, whose largest difference from
# PyTorch's outputs must be below 1e-5.
#
# Debug, not release: what is checked is the manifest, the build and the link of the library in
# someone else's package, and its numbers (the same bits in debug); a release build of the
# library costs minutes more on two cores and checks nothing more here.
#
#   scripts/check-dependency.sh          committed HEAD (uncommitted changes are not in the clone)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/seqtool-dependency.XXXXXX")
trap 'rm -rf "$work"' EXIT

git clone --quiet --no-local "$root" "$work/seqtool"
git -C "$work/seqtool" tag | xargs -r git -C "$work/seqtool" tag -d >/dev/null
git -C "$work/seqtool" -c user.name=check -c user.email=check@localhost tag -a 0.1.0 -m 0.1.0
echo "seqtool $(git -C "$work/seqtool" rev-parse --short HEAD) tagged 0.1.0 in $work/seqtool" >&2

mkdir -p "$work/user/Sources/LSTMFromPyTorch"
cp "$root/Tests/Dependency/main.swift" "$work/user/Sources/LSTMFromPyTorch/main.swift"
cat >"$work/user/Package.swift" <<EOF
// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "user",
    dependencies: [.package(url: "file://$work/seqtool", from: "0.1.0")],
    targets: [
        .executableTarget(
            name: "LSTMFromPyTorch",
            dependencies: [
                .product(name: "Recurrent", package: "seqtool"), .product(name: "SeqTensor", package: "seqtool"),
            ]
        )
    ]
)
EOF

swift build --package-path "$work/user" >&2
program="$work/user/.build/debug/LSTMFromPyTorch"
# OpenBLAS, and no MPI without the MPI trait. (ldd's output is read whole first: `ldd | grep -q`
# under pipefail fails whenever grep exits before ldd has written everything.)
libraries=$(ldd "$program")
grep -q libopenblas <<<"$libraries" || { echo "check-dependency: the program does not link OpenBLAS" >&2; exit 1; }
if grep -q libmpi <<<"$libraries"; then echo "check-dependency: MPI linked without the MPI trait" >&2; exit 1; fi
output=$("$program" "$root/Tests/Fixtures/parity/lstm_4.json")
echo "$output"
difference=$(sed -n 's/.*largest difference from PyTorch: \([0-9.e+-]*\)$/\1/p' <<<"$output")
if [ -z "$difference" ] || ! awk -v d="$difference" 'BEGIN { exit !(d + 0 < 1e-5) }'; then
    echo "check-dependency: expected a largest difference below 1e-5, got: $output" >&2
    exit 1
fi
echo "check-dependency: seqtool 0.1.0 resolved by URL and version, built, and matched PyTorch" >&2
