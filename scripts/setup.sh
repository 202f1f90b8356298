#!/usr/bin/env bash
# Installs what seqtool needs on a fresh Debian/Ubuntu machine (OpenBLAS and pkg-config; the
# Swift 6 toolchain must already be on PATH), then builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists openblas 2>/dev/null; then
    echo "installing libopenblas-dev and pkg-config" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq libopenblas-dev pkg-config
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first" >&2; exit 1; }
swift build -c release --product seqtool >&2
