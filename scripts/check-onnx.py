#!/usr/bin/env python3
"""Checks ONNX files written by `seqtool export` against seqtool's own outputs.

Each case is `MODEL.onnx:REFERENCE.json`, the reference written by `seqtool export --reference`
(inputs and seqtool's outputs for them). For each: onnx.checker (full check, with shape
inference), then ONNX Runtime on the CPU over the same inputs, every output compared with
seqtool's. The error of an output is the largest |ort - seqtool| over its elements divided by its
largest |seqtool|, so that logits near zero do not count as large relative errors; a case passes
when every output's is at most --tolerance (1e-5).

With --translate ENCODER.onnx:DECODER.onnx:MODEL.safetensors:TEXT, an encoder-decoder's two
graphs translate TEXT greedily in ONNX Runtime, which must equal `seqtool seq2seq translate`.

With --greedy MODEL.onnx:CHARMODEL.safetensors (a step graph and the model it came from) and
--seqtool BIN, the step graph decodes --length characters by argmax after --prime in ONNX
Runtime, which must equal `seqtool sample --greedy` on the same model.

Prints one line per case: its name, the largest error and pass/FAIL; exits 1 if any fails.
"""
import argparse
import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort


def session(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return model, ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def array(value):
    dtype = np.float32 if value["dtype"] == "float32" else np.int64
    return np.array(value["data"], dtype=dtype).reshape(value["shape"])


def compare(onnx_path, reference_path):
    """The largest relative error over the outputs of one case, and a line per output."""
    with open(reference_path) as f:
        reference = json.load(f)
    _, sess = session(onnx_path)
    inputs = {name: array(value) for name, value in reference["inputs"].items()}
    names = [o.name for o in sess.get_outputs()]
    results = dict(zip(names, sess.run(names, inputs)))
    worst, details = 0.0, []
    for name, value in reference["outputs"].items():
        expected = array(value)
        got = results[name]
        if got.shape != expected.shape:
            raise SystemExit(f"{onnx_path}: output {name} has shape {got.shape}, seqtool's {expected.shape}")
        scale = max(float(np.max(np.abs(expected))), 1e-30)
        error = float(np.max(np.abs(got.astype(np.float64) - expected.astype(np.float64)))) / scale
        worst = max(worst, error)
        details.append(f"{name} {error:.2e}")
    return worst, details


def greedy(onnx_path, model_path, seqtool, prime, length):
    """Whether argmax decoding of the step graph in ONNX Runtime equals seqtool sample --greedy."""
    model, sess = session(onnx_path)
    meta = {p.key: p.value for p in model.metadata_props}
    vocab = json.loads(meta["vocab"])
    index = {c: i for i, c in enumerate(vocab)}
    layers, hidden = int(meta["layers"]), int(meta["hidden"])
    state_names = [i.name for i in sess.get_inputs() if i.name != "tokens"]
    state = {n: np.zeros((layers, 1, hidden), dtype=np.float32) for n in state_names}
    ids = [index[c] for c in prime]
    text = []
    token = ids[0]
    fed = 1
    while len(text) < length:
        outputs = sess.run(None, {"tokens": np.array([token], dtype=np.int64), **state})
        logits = outputs[0]
        state = {n: outputs[1 + k] for k, n in enumerate(state_names)}
        if fed < len(ids):
            token = ids[fed]
            fed += 1
            continue
        token = int(np.argmax(logits[0]))
        text.append(vocab[token])
    ours = "".join(text)
    run = subprocess.run(
        [seqtool, "sample", "--model", model_path, "--prime", prime, "--length", str(length), "--greedy"],
        capture_output=True, text=True, check=True)
    theirs = run.stdout[len(prime):]
    theirs = theirs[:-1] if theirs.endswith("\n") else theirs  # the newline sample prints at the end
    return ours == theirs, ours, theirs


def translate(encoder_path, decoder_path, model_path, seqtool, text):
    """Whether greedy decoding with the encoder and decoder graphs equals seqtool seq2seq translate."""
    model, encoder = session(encoder_path)
    _, decoder = session(decoder_path)
    vocab = json.loads({p.key: p.value for p in model.metadata_props}["vocab"])
    ids = [vocab.index(c) + 2 for c in text]
    state = encoder.run(None, {"tokens": np.array(ids, dtype=np.int64).reshape(-1, 1),
                               "lengths": np.array([len(ids)], dtype=np.int64)})
    names = [i.name for i in decoder.get_inputs() if i.name != "tokens"]
    state = dict(zip(names, state))
    token, out = 0, []
    for _ in range(2 * len(ids) + 10):
        outputs = decoder.run(None, {"tokens": np.array([token], dtype=np.int64), **state})
        state = {n: outputs[1 + k] for k, n in enumerate(names)}
        token = int(np.argmax(outputs[0][0]))
        if token == 1:
            break
        out.append(vocab[token - 2] if token >= 2 else "")
    ours = "".join(out)
    theirs = subprocess.run([seqtool, "seq2seq", "translate", "--model", model_path, "--input", text],
                            capture_output=True, text=True, check=True).stdout.rstrip("\n")
    return ours == theirs, ours, theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help="MODEL.onnx:REFERENCE.json")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--greedy", action="append", default=[], help="STEP.onnx:CHARMODEL.safetensors")
    parser.add_argument("--translate", action="append", default=[],
                        help="ENCODER.onnx:DECODER.onnx:SEQ2SEQ.safetensors:TEXT, greedy decoding against seqtool's")
    parser.add_argument("--seqtool", help="the seqtool binary, for --greedy and --translate")
    parser.add_argument("--prime", default="th")
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args()
    failed = 0
    for case in args.cases:
        onnx_path, reference_path = case.rsplit(":", 1)
        worst, details = compare(onnx_path, reference_path)
        ok = worst <= args.tolerance
        failed += not ok
        print(f"{onnx_path}\t{worst:.2e}\t{'pass' if ok else 'FAIL'}\t({', '.join(details)})")
    for case in args.greedy:
        if not args.seqtool:
            raise SystemExit("--greedy needs --seqtool")
        onnx_path, model_path = case.rsplit(":", 1)
        ok, ours, theirs = greedy(onnx_path, model_path, args.seqtool, args.prime, args.length)
        failed += not ok
        print(f"{onnx_path}\tgreedy {args.length} characters\t{'same' if ok else 'FAIL'}")
        if not ok:
            print(f"  onnxruntime: {ours!r}\n  seqtool:     {theirs!r}")
    for case in args.translate:
        if not args.seqtool:
            raise SystemExit("--translate needs --seqtool")
        encoder_path, decoder_path, model_path, text = case.split(":", 3)
        ok, ours, theirs = translate(encoder_path, decoder_path, model_path, args.seqtool, text)
        failed += not ok
        print(f"{decoder_path}\tgreedy translation of {text!r}\t{'same' if ok else 'FAIL'}")
        if not ok:
            print(f"  onnxruntime: {ours!r}\n  seqtool:     {theirs!r}")
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}: "
          + ("all cases agree" if not failed else f"{failed} case(s) failed"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
