#!/usr/bin/env bash
# Installs what seqtool needs on a fresh Debian/Ubuntu machine (OpenBLAS and pkg-config; for
# the tests, rsvg-convert from librsvg2-bin, which renders every plot; the Swift 6 toolchain must
# already be on PATH), then builds the release binary.
#
#   scripts/setup.sh          one machine
#   scripts/setup.sh --mpi    also OpenMPI (libopenmpi-dev, openmpi-bin), and a build with the MPI
#                             trait, for `mpirun -np N .build/release/seqtool train-char ...`
#   scripts/setup.sh --qemu   also qemu-user, which scripts/check-baseline-cpu.sh runs the binary
#                             under as a CPU without AVX (CI does)
#   scripts/setup.sh --python also Python 3 with venv, in which scripts/check-onnx.sh installs
#                             onnx and onnxruntime from pip (CI does)
set -euo pipefail
cd "$(dirname "$0")/.."
mpi=0
qemu=0
python=0
for argument in "$@"; do
    case "$argument" in
        --mpi) mpi=1 ;;
        --qemu) qemu=1 ;;
        --python) python=1 ;;
        *) echo "scripts/setup.sh: unknown option $argument (options: --mpi, --qemu, --python)" >&2; exit 2 ;;
    esac
done
missing=()
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev pkg-config)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
if [ "$mpi" = 1 ]; then
    pkg-config --exists ompi-c 2>/dev/null || missing+=(libopenmpi-dev)
    command -v mpirun >/dev/null || missing+=(openmpi-bin)
fi
if [ "$qemu" = 1 ] && [ "$(uname -m)" = x86_64 ]; then
    command -v qemu-x86_64 >/dev/null || missing+=(qemu-user)
fi
if [ "$python" = 1 ]; then
    command -v python3 >/dev/null || missing+=(python3)
    python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first" >&2; exit 1; }
if [ "$mpi" = 1 ]; then
    swift build -c release --product seqtool --traits MPI >&2
else
    swift build -c release --product seqtool >&2
fi
