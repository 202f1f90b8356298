#!/usr/bin/env bash
# Exports every kind of model seqtool exports (character models, classifiers, forecasters,
# encoder-decoders) and checks each ONNX file in ONNX Runtime against seqtool's own outputs on the
# same inputs (scripts/check-onnx.py: onnx.checker, then outputs to 1e-5 relative), and that argmax
# decoding in ONNX Runtime equals `seqtool sample --greedy` (character models) and `seqtool seq2seq
# translate` (encoder-decoders). The models are trained for a few steps only: what is checked is
# the export, not the accuracy. Where PyTorch is installed (pip install torch==2.13.0+cpu), also
# `seqtool import` of models torch.onnx.export wrote, against PyTorch's outputs
# (scripts/check-onnx-import.py); without it that part is skipped with a message.
#
#   scripts/check-onnx.sh [SEQTOOL]     default .build/release/seqtool
#
# Python: $ONNX_PYTHON if set (it must have onnx and onnxruntime), else a virtual environment in
# .build/onnx-venv made here with the onnx and onnxruntime pinned below (it sees the system's
# packages, so an installed torch too). Without python3 it says so and exits 0, except under CI
# (CI=true), where that is a failure. The series of ../shared/data are used when present (unequal
# lengths, several channels); the rest is made here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seqtool=$(cd "$(dirname "${1:-$root/.build/release/seqtool}")" && pwd)/$(basename "${1:-seqtool}")
[ -x "$seqtool" ] || { echo "check-onnx: no seqtool binary at $seqtool (build first)" >&2; exit 1; }

python=${ONNX_PYTHON:-}
case "$python" in */*) python=$(cd "$(dirname "$python")" && pwd)/$(basename "$python") ;; esac
if [ -z "$python" ]; then
    if ! command -v python3 >/dev/null; then
        if [ "${CI:-}" = true ]; then echo "check-onnx: python3 is missing on CI" >&2; exit 1; fi
        echo "check-onnx: skipped (no python3; install it to check the ONNX export against ONNX Runtime)" >&2
        exit 0
    fi
    venv="$root/.build/onnx-venv"
    if ! "$venv/bin/python" -c "import onnx, onnxruntime" 2>/dev/null; then
        python3 -m venv --system-site-packages "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check onnx==1.23.2 onnxruntime==1.31.1
    fi
    python="$venv/bin/python"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/seqtool-onnx.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
cases=() greedy=()
quiet() {  # runs a command, its output kept from the terminal unless it fails
    "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; echo "check-onnx: failed: $*" >&2; return 1; }
}

# Character models, every cell with an ONNX operator, one and two layers.
for i in $(seq 60); do
    echo "to be or not to be, that is the question: whether 'tis nobler in the mind to suffer"
done >corpus.txt
for spec in lstm:2 gru:2 rnn_tanh:2 rnn_relu:1 gru_reset_before:1; do
    cell=${spec%%:*} layers=${spec##*:}
    quiet "$seqtool" train-char --corpus corpus.txt --cell "$cell" --layers "$layers" --hidden 24 --embed 8 \
        --seq 16 --batch 4 --steps 30 --lr 0.01 --out "char-$cell.safetensors"
    for graph in step sequence; do
        quiet "$seqtool" export --model "char-$cell.safetensors" --format onnx --graph $graph \
            --out "char-$cell-$graph.onnx" --reference "char-$cell-$graph.json" --check-input corpus.txt
        cases+=("char-$cell-$graph.onnx:char-$cell-$graph.json")
    done
    greedy+=(--greedy "char-$cell-step.onnx:char-$cell.safetensors")
done

# Classifiers over one-channel series of one length (made here).
quiet "$seqtool" make-sine --out sine.csv --phases random --count 10 --points 48 --noise 0.1
classify() {  # name, then classify's flags
    local name=$1 data=$2
    shift 2
    quiet "$seqtool" classify --train "$data" --steps 6 --batch 8 --out "$name.safetensors" "$@"
}
export_classifier() {  # name, data, export's extra flags
    local name=$1 data=$2
    shift 2
    quiet "$seqtool" export --model "$name.safetensors" --format onnx --out "$name.onnx" --reference "$name.json" \
        --check-input "$data" --check-batch 50 "$@"
    cases+=("$name.onnx:$name.json")
}
for spec in "lstm-bi2:--model lstm --layers 2 --bidirectional --hidden 12 --subsample 3" \
    "gru-bi:--model gru --bidirectional --hidden 12" "rnn2:--model rnn_tanh --layers 2 --hidden 12" \
    "rnnrelu-bi:--model rnn_relu --bidirectional --hidden 8" "grurb:--model gru_reset_before --hidden 8" \
    "fcn:--model fcn" "resnet:--model resnet" "lstm-fcn:--model lstm-fcn --hidden 8" \
    "mlp:--model mlp --mlp-hidden 32,16" "cnn1d:--model cnn1d" "cnn2d:--model cnn2d --image 6x8"; do
    name=sine-${spec%%:*}
    read -r -a flags <<<"${spec#*:}"
    classify "$name" sine.csv "${flags[@]}"
    export_classifier "$name" sine.csv
done
quiet "$seqtool" classify --train sine.csv --steps 6 --batch 8 --model fcn --ensemble 3 --out sine-ensemble.safetensors
export_classifier sine-ensemble sine.csv
quiet "$seqtool" export --model sine-gru-bi.safetensors --format onnx --out sine-gru-fixed.onnx --no-lengths \
    --reference sine-gru-fixed.json --check-input sine.csv --check-batch 16
cases+=("sine-gru-fixed.onnx:sine-gru-fixed.json")

# Forecasters: seasonal (phase input) and not, ensembles of odd and even size (the median), stacked.
awk 'BEGIN { print "t,a,b"; for (i = 1; i <= 96; i++)
    printf "%d,%.3f,%.3f\n", i, 10 + i * 0.1 + 3 * sin(i * 6.2832 / 12), 50 - i * 0.05 + 2 * cos(i * 6.2832 / 12) }' \
    >series.csv
for spec in "lstm-seasonal:--season 12 --horizon 6 --ensemble 3 --layers 2" "gru:--cell gru --horizon 4 --ensemble 2" \
    "rnn:--cell rnn_tanh --horizon 3 --ensemble 1"; do
    name=forecast-${spec%%:*}
    read -r -a flags <<<"${spec#*:}"
    quiet "$seqtool" forecast train --train series.csv --steps 10 --hidden 8 --out "$name.safetensors" "${flags[@]}"
    quiet "$seqtool" export --model "$name.safetensors" --format onnx --out "$name.onnx" --reference "$name.json" \
        --check-batch 16
    cases+=("$name.onnx:$name.json")
done

# Encoder-decoders: the encoder over sources of unequal lengths, the decoder step, greedy translation.
quiet "$seqtool" make-pairs reverse --out pairs.tsv --count 300 --max-digits 8
translate=()
for spec in lstm:2 gru:1; do
    cell=${spec%%:*} layers=${spec##*:}
    name=seq2seq-$cell
    quiet "$seqtool" seq2seq train --train pairs.tsv --cell "$cell" --layers "$layers" --hidden 16 --embed 8 \
        --steps 40 --batch 16 --out "$name.safetensors"
    for graph in encoder decoder; do
        quiet "$seqtool" export --model "$name.safetensors" --format onnx --graph $graph --out "$name-$graph.onnx" \
            --reference "$name-$graph.json" --check-input pairs.tsv
        cases+=("$name-$graph.onnx:$name-$graph.json")
    done
    input=$(head -1 pairs.tsv | cut -f1)
    translate+=(--translate "$name-encoder.onnx:$name-decoder.onnx:$name.safetensors:$input")
done

# Real series: unequal lengths, several channels.
data="$root/../shared/data/timeseries"
if [ -f "$data/PickupGestureWiimoteZ_TRAIN.ts" ]; then
    for spec in "pickup-lstm-bi2:--model lstm --layers 2 --bidirectional --hidden 12" \
        "pickup-gru:--model gru --hidden 12 --subsample 4" "pickup-fcn:--model fcn" \
        "pickup-resnet:--model resnet" "pickup-lstm-fcn:--model lstm-fcn --hidden 8"; do
        name=${spec%%:*}
        read -r -a flags <<<"${spec#*:}"
        classify "$name" "$data/PickupGestureWiimoteZ_TRAIN.ts" "${flags[@]}"
        export_classifier "$name" "$data/PickupGestureWiimoteZ_TEST.ts"
    done
    for spec in "motions-lstm-bi:--model lstm --bidirectional --hidden 12" "motions-fcn:--model fcn"; do
        name=${spec%%:*}
        read -r -a flags <<<"${spec#*:}"
        classify "$name" "$data/BasicMotions_TRAIN.ts" "${flags[@]}"
        export_classifier "$name" "$data/BasicMotions_TEST.ts"
    done
else
    echo "check-onnx: $data not found: the unequal-length and multichannel cases are left out" >&2
fi

"$python" "$root/scripts/check-onnx.py" --seqtool "$seqtool" "${greedy[@]}" "${translate[@]}" "${cases[@]}"
if "$python" -c "import torch" 2>/dev/null; then
    "$python" "$root/scripts/check-onnx-import.py" --seqtool "$seqtool" --work "$work/import"
else
    echo "check-onnx: import from PyTorch's exporter skipped (no torch: pip install torch==2.13.0+cpu)" >&2
fi
