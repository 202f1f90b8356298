#!/usr/bin/env bash
# The main job on its built-in default: sets up, trains a 2-layer LSTM character model on
# seqtool's built-in corpus for about a minute, then samples from it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=.build/release/seqtool
"$bin" train-char --steps "${STEPS:-700}" --out charlm.safetensors --plot charlm-loss.svg
echo "--- sample (temperature 0.8) ---"
"$bin" sample --model charlm.safetensors --length 600 --temperature 0.8
