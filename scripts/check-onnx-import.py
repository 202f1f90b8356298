#!/usr/bin/env python3
"""Checks `seqtool import` on ONNX files written by PyTorch's exporter (torch.onnx.export).

For each case a seeded PyTorch model (a character model nn.Embedding -> nn.LSTM|GRU|RNN ->
nn.Linear over every step; a classifier nn.LSTM|GRU|RNN -> nn.Linear over the final state,
stacked and bidirectional) is exported to ONNX (opset 17), imported with `seqtool import`, and the
imported model exported back with `seqtool export --reference`, which writes inputs and seqtool's
outputs for them (for classifiers, series of unequal lengths). PyTorch then runs its own model on
the same inputs (packed sequences for unequal lengths) and the outputs are compared: the largest
|seqtool - torch| over an output divided by its largest |torch|, at most --tolerance (1e-5).

    check-onnx-import.py --seqtool .build/release/seqtool [--work DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch

CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN, "rnn_relu": torch.nn.RNN}


def recurrent(cell, inputs, hidden, layers, bidirectional=False):
    options = {"nonlinearity": "relu"} if cell == "rnn_relu" else {}
    return CELLS[cell](inputs, hidden, layers, bidirectional=bidirectional, **options)


class CharModel(torch.nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers):
        super().__init__()
        self.lstm = cell == "lstm"
        self.embed = torch.nn.Embedding(vocab, embed)
        self.rnn = recurrent(cell, embed, hidden, layers)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, tokens, h, c=None):
        y, state = self.rnn(self.embed(tokens), (h, c) if self.lstm else h)
        return (self.head(y),) + (tuple(state) if self.lstm else (state,))


class Classifier(torch.nn.Module):
    def __init__(self, cell, channels, hidden, layers, bidirectional, classes):
        super().__init__()
        self.lstm, self.bidirectional = cell == "lstm", bidirectional
        self.rnn = recurrent(cell, channels, hidden, layers, bidirectional)
        self.head = torch.nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, x, lengths=None):
        sequence = x.transpose(0, 1)
        if lengths is not None:
            sequence = torch.nn.utils.rnn.pack_padded_sequence(sequence, lengths, enforce_sorted=False)
        _, state = self.rnn(sequence)
        h = state[0] if self.lstm else state
        return self.head(torch.cat([h[-2], h[-1]], 1) if self.bidirectional else h[-1])


def run(*command):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def error(ours, theirs):
    theirs = theirs.detach().numpy().astype(np.float64)
    ours = np.array(ours["data"], dtype=np.float64).reshape(ours["shape"])
    if ours.shape != theirs.shape:
        raise SystemExit(f"shape {ours.shape} against PyTorch's {theirs.shape}")
    return float(np.max(np.abs(ours - theirs))) / max(float(np.max(np.abs(theirs))), 1e-30)


def tensor(value, dtype):
    return torch.tensor(np.array(value["data"]).reshape(value["shape"]), dtype=dtype)


def char_case(seqtool, work, cell, layers):
    torch.manual_seed(1)
    vocab = list("abcdefghij \n")
    model = CharModel(cell, len(vocab), 6, 10, layers).eval()
    state = [torch.zeros(layers, 2, 10)] * (2 if cell == "lstm" else 1)
    names = ["h", "c"][: len(state)]
    onnx_path = f"{work}/torch-char-{cell}.onnx"
    torch.onnx.export(
        model, (torch.zeros(5, 2, dtype=torch.long), *state), onnx_path, input_names=["tokens", *names],
        output_names=["logits", *[n + "_out" for n in names]], opset_version=17, dynamo=False,
        dynamic_axes={"tokens": {0: "steps", 1: "batch"}, **{n: {1: "batch"} for n in names}})
    model_path = f"{work}/torch-char-{cell}.safetensors"
    run(seqtool, "import", "--onnx", onnx_path, "--out", model_path, "--vocab", json.dumps(vocab))
    text = f"{work}/torch-char-text.txt"
    rng = np.random.default_rng(0)
    with open(text, "w") as f:
        f.write("".join(rng.choice(vocab, 4 * 32)))
    reference_path = f"{work}/torch-char-{cell}.json"
    run(seqtool, "export", "--model", model_path, "--format", "onnx", "--graph", "sequence", "--out",
        f"{work}/back-{cell}.onnx", "--reference", reference_path, "--check-input", text, "--check-batch", "4")
    with open(reference_path) as f:
        reference = json.load(f)
    inputs = reference["inputs"]
    with torch.no_grad():
        outputs = model(tensor(inputs["tokens"], torch.long), *[tensor(inputs[n], torch.float32) for n in names])
    return max(error(reference["outputs"][name], out)
               for name, out in zip(["logits", *[n + "_out" for n in names]], outputs))


def classifier_case(seqtool, work, cell, layers, bidirectional):
    torch.manual_seed(2)
    model = Classifier(cell, 3, 8, layers, bidirectional, 4).eval()
    name = f"torch-{cell}-l{layers}{'-bi' if bidirectional else ''}"
    onnx_path = f"{work}/{name}.onnx"
    torch.onnx.export(model, (torch.randn(2, 9, 3),), onnx_path, input_names=["x"], output_names=["logits"],
                      opset_version=17, dynamo=False, dynamic_axes={"x": {0: "batch", 1: "steps"}})
    model_path = f"{work}/{name}.safetensors"
    run(seqtool, "import", "--onnx", onnx_path, "--out", model_path)
    reference_path = f"{work}/{name}.json"
    run(seqtool, "export", "--model", model_path, "--format", "onnx", "--out", f"{work}/back-{name}.onnx",
        "--reference", reference_path, "--check-batch", "8")
    with open(reference_path) as f:
        reference = json.load(f)
    inputs = reference["inputs"]
    with torch.no_grad():
        logits = model(tensor(inputs["x"], torch.float32), tensor(inputs["lengths"], torch.long))
    return error(reference["outputs"]["logits"], logits)


def main():
    warnings.filterwarnings("ignore")  # the exporter's advice on batch sizes and TorchScript
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seqtool", required=True)
    parser.add_argument("--work", help="folder for the files (default: a temporary one)")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="seqtool-onnx-import.")
    os.makedirs(work, exist_ok=True)
    cases = [(f"char {cell} x{layers}", lambda c=cell, n=layers: char_case(args.seqtool, work, c, n))
             for cell, layers in [("lstm", 2), ("gru", 2), ("rnn_tanh", 1), ("rnn_relu", 2)]]
    cases += [(f"classifier {cell} x{layers}{' bidirectional' if bi else ''}",
               lambda c=cell, n=layers, b=bi: classifier_case(args.seqtool, work, c, n, b))
              for cell, layers, bi in [("lstm", 2, True), ("gru", 2, True), ("gru", 1, False), ("lstm", 1, False),
                                       ("rnn_tanh", 2, True)]]
    failed = 0
    for name, case in cases:
        worst = case()
        ok = worst <= args.tolerance
        failed += not ok
        print(f"import {name}\t{worst:.2e}\t{'pass' if ok else 'FAIL'}")
    print(f"torch {torch.__version__}: " + ("imports agree with PyTorch" if not failed else f"{failed} case(s) failed"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
