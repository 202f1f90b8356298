#!/usr/bin/env bash
# Runs `seqtool bench charlm` and PyTorch's ../shared/bench/torch_charlm.py on the same
# configurations and prints README's performance table (markdown), with medians over rounds.
# Needs a release build (swift build -c release) and torch (pip install torch==2.13.0+cpu).
# Usage: scripts/bench-vs-torch.sh [--isa portable|avx2|avx512] [--rounds N]
#            [--config "cell hidden layers threads"]... [extra flags for both, e.g. --steps 300]
# --isa holds both sides to one instruction set: seqtool through SEQTOOL_ISA, PyTorch through
# ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA and MKL_ENABLE_INSTRUCTIONS (portable and avx2 hold it
# to AVX2; avx512 lets it use AVX-512). Without it each side takes the best the CPU has.
# --rounds N runs every configuration N times, seqtool and PyTorch alternating within each round,
# and reports medians (the ratio column lists every round's ratio): a shared machine drifts by
# 10-20% over minutes, and alternating puts both sides in the same drift. --config (repeatable)
# picks rows; by default all six.
set -euo pipefail
cd "$(dirname "$0")/.."
ours_env=()
theirs_env=()
rounds=1
configs=()
while [ $# -gt 0 ]; do
    case "$1" in
    --isa)
        isa="${2:?--isa needs portable, avx2 or avx512}"
        ours_env=("SEQTOOL_ISA=$isa")
        case "$isa" in
        portable | avx2) theirs_env=(ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2) ;;
        avx512) theirs_env=(ATEN_CPU_CAPABILITY=avx512 ONEDNN_MAX_CPU_ISA=AVX512_CORE MKL_ENABLE_INSTRUCTIONS=AVX512) ;;
        *) echo "--isa: $isa is not one of portable, avx2, avx512" >&2; exit 2 ;;
        esac
        shift 2 ;;
    --rounds)
        rounds="${2:?--rounds needs a count}"
        [[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds: $rounds is not a positive count" >&2; exit 2; }
        shift 2 ;;
    --config)
        read -r -a parts <<<"${2:?--config needs \"cell hidden layers threads\"}"
        [ "${#parts[@]}" -eq 4 ] || { echo "--config: \"$2\" is not \"cell hidden layers threads\"" >&2; exit 2; }
        configs+=("$2")
        shift 2 ;;
    *) break ;;
    esac
done
[ "${#configs[@]}" -gt 0 ] || configs=(
    "lstm 256 2 2" "lstm 256 2 1" "lstm 128 2 2" "lstm 512 1 2" "gru 256 2 2" "rnn 256 2 2"
)
seqtool=.build/release/seqtool
corpus=../shared/corpora/tinyshakespeare.txt
torch=../shared/bench/torch_charlm.py
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
    for config in "${configs[@]}"; do
        read -r cell hidden layers threads <<<"$config"
        ours_cell=$cell; [ "$cell" = rnn ] && ours_cell=rnn_tanh
        ours=$(env "${ours_env[@]}" "$seqtool" bench charlm --cell "$ours_cell" --hidden "$hidden" --layers "$layers" \
            --threads "$threads" --corpus "$corpus" --json "$@" 2>/dev/null | tail -1)
        theirs=$(env "${theirs_env[@]}" python3 "$torch" --cell "$cell" --hidden "$hidden" --layers "$layers" \
            --threads "$threads" --corpus "$corpus" --no-ceiling "$@" 2>/dev/null | tail -1)
        printf '%s\t%s\t%s\t%s\n' "$round" "$config" "$ours" "$theirs" >>"$results"
        echo "round $round/$rounds: $config done" >&2
    done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, config, ours, theirs = line.rstrip("\n").split("\t")
    rows.setdefault(config, []).append((json.loads(ours), json.loads(theirs)))
median = statistics.median
print("| config (threads) | isa | seqtool tokens/s | of the FMA peak | PyTorch tokens/s | ratio (rounds) | "
      "seqtool sampling chars/s | PyTorch | ratio | peak RSS seqtool / PyTorch | loss after 300 steps seqtool / PyTorch |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for config, runs in rows.items():
    cell, hidden, layers, threads = config.split()
    name = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN tanh"}[cell]
    ot = median(o["tokens_per_s"] for o, _ in runs)
    tt = median(t["tokens_per_s_median_step"] for _, t in runs)
    ratios = [o["tokens_per_s"] / t["tokens_per_s_median_step"] for o, t in runs]
    fractions = [o["peak_fraction"] for o, _ in runs if o.get("peak_fraction") is not None]
    peak = f"{median(fractions):.0%}" if fractions else "-"
    os_ = median(o["sample_chars_per_s"] for o, _ in runs)
    ts = median(t["sample_chars_per_s"] for _, t in runs)
    rss_o = median(o["peak_rss_mb"] for o, _ in runs)
    rss_t = median(t["peak_rss_mb"] for _, t in runs)
    loss_o, loss_t = runs[0][0]["final_loss"], runs[0][1]["train_loss_last20"]
    each = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"| {name} {layers}x{hidden} ({threads}) | {runs[0][0]['isa']} | {ot:,.0f} | {peak} | {tt:,.0f} | "
          f"{median(ratios):.2f} ({each}) | {os_:,.0f} | {ts:,.0f} | {os_/ts:.1f} | {rss_o:.0f} / {rss_t:.0f} MB | "
          f"{loss_o:.3f} / {loss_t:.3f} |")
PY
