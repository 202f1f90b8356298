# Extra PyTorch parity fixtures (the *_90.json files in Tests/Fixtures/parity): sizes, layer counts,
# directions and options that ../shared/parity does not cover (bias=False, batch_first, 3 layers,
# dilation, pooling padding, Nesterov, AMSGrad, centered RMSprop, Adagrad lr_decay, ...).
# Run in Tests/Fixtures/parity with PyTorch 2.13 CPU: python3 ../scripts/extra_parity_fixtures.py
import torch, json
torch.manual_seed(0)
def t(x, dtype="float64"):
    x = x.detach()
    return {"dtype": dtype, "shape": list(x.shape), "data": [float(v) if dtype=="float64" else int(v) for v in x.reshape(-1).tolist()]}
def f32(shape): return torch.randn(*shape).float().double()
def layer_case(name, kind, mod, inputs, config):
    mod = mod.double()
    for p in mod.parameters():
        with torch.no_grad(): p.copy_(p.float().double())
    ins = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = (mod(ins["input"], (ins["h0"], ins["c0"])) if kind == "lstm_cell" else mod(*ins.values())) if kind not in ("rnn","lstm","gru") else mod(ins["input"], *( [ (ins["h0"], ins["c0"]) ] if "c0" in ins else ([ins["h0"]] if "h0" in ins else [])))
    tensors = {k: t(v) for k, v in inputs.items()}
    for n, p in mod.named_parameters(): tensors[n] = t(p)
    outs = {}
    if kind in ("rnn","gru"): outs = {"output": out[0], "h_n": out[1]}
    elif kind == "lstm": outs = {"output": out[0], "h_n": out[1][0], "c_n": out[1][1]}
    elif kind.endswith("_cell"): outs = {"h1": out[0], "c1": out[1]} if kind == "lstm_cell" else {"h1": out}
    else: outs = {"output": out}
    loss = 0
    for k, v in outs.items():
        w = f32(v.shape); tensors["out."+k] = t(v); tensors["lossweight."+k] = t(w); loss = loss + (v*w).sum()
    loss.backward(); tensors["loss"] = t(loss)
    for k, v in ins.items(): tensors["grad."+k] = t(v.grad)
    for n, p in mod.named_parameters(): tensors["grad."+n] = t(p.grad)
    json.dump({"kind": kind, "description": name, "config": config, "tensors": tensors}, open(name + ".json", "w"))
c = dict(input_size=5, hidden_size=7, num_layers=3, bias=False, batch_first=True, dropout=0.0, bidirectional=True, proj_size=0)
layer_case("lstm_90", "lstm", torch.nn.LSTM(**c), {"input": f32((3,4,5)), "h0": f32((6,3,7)), "c0": f32((6,3,7))}, c)
c = dict(input_size=2, hidden_size=6, num_layers=2, bias=True, batch_first=False, dropout=0.0, bidirectional=True)
layer_case("gru_90", "gru", torch.nn.GRU(**c), {"input": f32((6,3,2))}, c)
c = dict(input_size=4, hidden_size=3, num_layers=3, nonlinearity="relu", bias=True, batch_first=False, dropout=0.0, bidirectional=True)
layer_case("rnn_90", "rnn", torch.nn.RNN(**c), {"input": f32((5,2,4)), "h0": f32((6,2,3))}, c)
c = dict(in_channels=3, out_channels=2, kernel_size=[2,3], stride=[2,1], padding=[1,2], dilation=[1,2], groups=1, bias=False, padding_mode="zeros")
layer_case("conv2d_90", "conv2d", torch.nn.Conv2d(**c), {"input": f32((2,3,7,6))}, c)
c = dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
x = torch.randperm(2*2*9*8).double().view(2,2,9,8)*0.37
layer_case("maxpool2d_90", "maxpool2d", torch.nn.MaxPool2d(**c), {"input": x}, c)
c = dict(in_features=6, out_features=4, bias=False)
layer_case("linear_90", "linear", torch.nn.Linear(**c), {"input": f32((2,3,6))}, c)
c = dict(input_size=3, hidden_size=5, bias=False)
layer_case("gru_cell_90", "gru_cell", torch.nn.GRUCell(**c), {"input": f32((2,3)), "h0": f32((2,5))}, c)
# optimizers with extra options
for kind, ctor, cfg in [("sgd", torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.0, weight_decay=0.1, nesterov=True)),
                        ("adam", torch.optim.Adam, dict(lr=0.01, betas=[0.8, 0.9], eps=1e-6, weight_decay=0.05, amsgrad=True)),
                        ("rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=True)),
                        ("adagrad", torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1, eps=1e-10))]:
    p = torch.nn.Parameter(f32((3,4)).float()); tensors = {"param.initial": t(p.double())}
    opt = ctor([p], **cfg)
    for k in range(1, 4):
        g = f32((3,4)).float(); tensors["grad.step%d"%k] = t(g.double()); p.grad = g.clone(); opt.step(); tensors["param.step%d"%k] = t(p.double())
    cfg["steps"] = 3
    json.dump({"kind": kind, "description": kind+" extra", "config": cfg, "tensors": tensors}, open(kind + "_90.json", "w"))
c = dict(input_size=4, hidden_size=6, bias=True)
layer_case("lstm_cell_90", "lstm_cell", torch.nn.LSTMCell(**c), {"input": f32((5,4)), "h0": f32((5,6)), "c0": f32((5,6))}, c)
c = dict(input_size=4, hidden_size=6, bias=True, nonlinearity="relu")
layer_case("rnn_cell_90", "rnn_cell", torch.nn.RNNCell(**c), {"input": f32((5,4))}, c)
