#!/usr/bin/env bash
# Runs `seqtool bench charlm` and PyTorch's ../shared/bench/torch_charlm.py on the same
# configurations, one after the other, and prints README's performance table (markdown).
# Needs a release build (swift build -c release) and torch (pip install torch==2.13.0+cpu).
# Usage: scripts/bench-vs-torch.sh [--isa portable|avx2|avx512] [extra flags for both, e.g. --steps 300]
# --isa holds both sides to one instruction set: seqtool through SEQTOOL_ISA, PyTorch through
# ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA and MKL_ENABLE_INSTRUCTIONS (portable and avx2 hold it
# to AVX2; avx512 lets it use AVX-512). Without it each side takes the best the CPU has.
set -euo pipefail
cd "$(dirname "$0")/.."
ours_env=()
theirs_env=()
if [ "${1:-}" = --isa ]; then
    isa="${2:?--isa needs portable, avx2 or avx512}"
    shift 2
    ours_env=("SEQTOOL_ISA=$isa")
    case "$isa" in
    portable | avx2) theirs_env=(ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2) ;;
    avx512) theirs_env=(ATEN_CPU_CAPABILITY=avx512 ONEDNN_MAX_CPU_ISA=AVX512_CORE MKL_ENABLE_INSTRUCTIONS=AVX512) ;;
    *) echo "--isa: $isa is not one of portable, avx2, avx512" >&2; exit 2 ;;
    esac
fi
seqtool=.build/release/seqtool
corpus=../shared/corpora/tinyshakespeare.txt
torch=../shared/bench/torch_charlm.py
configs=(
    "lstm 256 2 2" "lstm 256 2 1" "lstm 128 2 2" "lstm 512 1 2" "gru 256 2 2" "rnn 256 2 2"
)
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
echo "| config (threads) | isa | seqtool tokens/s | PyTorch tokens/s | ratio | seqtool sampling chars/s | PyTorch | ratio | peak RSS seqtool / PyTorch | loss after 300 steps seqtool / PyTorch |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for config in "${configs[@]}"; do
    read -r cell hidden layers threads <<<"$config"
    ours_cell=$cell; [ "$cell" = rnn ] && ours_cell=rnn_tanh
    ours=$(env "${ours_env[@]}" "$seqtool" bench charlm --cell "$ours_cell" --hidden "$hidden" --layers "$layers" --threads "$threads" \
        --corpus "$corpus" --json "$@" 2>/dev/null | tail -1)
    theirs=$(env "${theirs_env[@]}" python3 "$torch" --cell "$cell" --hidden "$hidden" --layers "$layers" --threads "$threads" \
        --corpus "$corpus" --no-ceiling "$@" 2>/dev/null | tail -1)
    python3 - "$cell" "$hidden" "$layers" "$threads" "$ours" "$theirs" <<'PY'
import json, sys
cell, hidden, layers, threads = sys.argv[1:5]
o, t = json.loads(sys.argv[5]), json.loads(sys.argv[6])
name = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN tanh"}[cell]
ot, tt = o["tokens_per_s"], t["tokens_per_s_median_step"]
os_, ts = o["sample_chars_per_s"], t["sample_chars_per_s"]
print(f"| {name} {layers}x{hidden} ({threads}) | {o['isa']} | {ot:,.0f} | {tt:,.0f} | {ot/tt:.2f} | {os_:,.0f} | {ts:,.0f} | {os_/ts:.1f} | "
      f"{o['peak_rss_mb']:.0f} / {t['peak_rss_mb']:.0f} MB | {o['final_loss']:.3f} / {t['train_loss_last20']:.3f} |")
PY
done
