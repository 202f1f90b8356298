#!/usr/bin/env bash
# Installs what seqtool needs on a fresh Debian/Ubuntu machine (OpenBLAS and pkg-config; for
# the tests, rsvg-convert from librsvg2-bin, which renders every plot; the Swift 6 toolchain must
# already be on PATH), then builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev pkg-config)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first" >&2; exit 1; }
swift build -c release --product seqtool >&2
