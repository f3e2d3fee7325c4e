#!/usr/bin/python3
"""Writes the PyTorch reference fixtures that the C++ tests compare against.

Run with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tests/make_fixtures.py
It rewrites tests/fixtures/*.bin. The files are committed, so the tests need no PyTorch.

File format (little-endian), read by tests/fixture.cpp: magic b"NSTFIXT1", u32 tensor count,
then per tensor: u32 name length, UTF-8 name, u32 rank, rank x i64 dims, float32 values.
"""
import json
import os
import struct
import zipfile

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def write(name, tensors):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".bin")
    with open(path, "wb") as f:
        f.write(b"NSTFIXT1")
        f.write(struct.pack("<I", len(tensors)))
        for key, value in tensors.items():
            value = torch.as_tensor(value, dtype=torch.float32).detach().contiguous()
            encoded = key.encode()
            f.write(struct.pack("<I", len(encoded)))
            f.write(encoded)
            f.write(struct.pack("<I", value.dim()))
            for d in value.shape:
                f.write(struct.pack("<q", d))
            f.write(value.numpy().astype("<f4").tobytes())
    print(f"wrote {path}: {len(tensors)} tensors")


def conv2d_cases():
    out = {}
    # name: (N, C, H, W, K, kernel, stride, padding, bias)
    cases = {
        "same": (2, 3, 7, 9, 4, 3, 1, 1, True),
        "stride2_nopad": (1, 2, 8, 8, 3, 3, 2, 0, True),
        "single_channel": (1, 1, 5, 6, 2, 3, 1, 1, False),
        "k5_s2_p2": (1, 3, 10, 7, 5, 5, 2, 2, True),
        "k1": (1, 4, 3, 5, 6, 1, 1, 0, True),
    }
    for name, (n, c, h, w, k, ks, s, p, has_bias) in cases.items():
        x = torch.randn(n, c, h, w, requires_grad=True)
        weight = (torch.randn(k, c, ks, ks) * 0.5).requires_grad_()
        bias = torch.randn(k, requires_grad=True) if has_bias else None
        y = F.conv2d(x, weight, bias, stride=s, padding=p)
        dy = torch.randn_like(y)
        y.backward(dy)
        out[f"{name}/params"] = torch.tensor([s, p], dtype=torch.float32)
        out[f"{name}/input"] = x
        out[f"{name}/weight"] = weight
        out[f"{name}/output"] = y
        out[f"{name}/grad_output"] = dy
        out[f"{name}/grad_input"] = x.grad
        out[f"{name}/grad_weight"] = weight.grad
        if has_bias:
            out[f"{name}/bias"] = bias
            out[f"{name}/grad_bias"] = bias.grad
    write("conv2d", out)


def pooling_cases():
    out = {}
    # name: (op, kernel, stride, padding, shape)
    cases = {
        "max_k2s2_odd": ("max", 2, 2, 0, (2, 3, 7, 9)),
        "max_k3s2p1": ("max", 3, 2, 1, (1, 2, 8, 7)),
        "avg_k2s2_odd": ("avg", 2, 2, 0, (2, 3, 7, 9)),
        "avg_k3s2p1": ("avg", 3, 2, 1, (1, 2, 8, 7)),
    }
    for name, (op, k, s, p, shape) in cases.items():
        # A permutation: no ties, so the max-pool gradient has one right answer.
        n = 1
        for d in shape:
            n *= d
        x = (torch.randperm(n).float() / n - 0.5).reshape(shape).requires_grad_()
        if op == "max":
            y = F.max_pool2d(x, k, s, p)
        else:
            y = F.avg_pool2d(x, k, s, p, count_include_pad=True)
        dy = torch.randn_like(y)
        y.backward(dy)
        out[f"{name}/params"] = torch.tensor([k, s, p], dtype=torch.float32)
        out[f"{name}/input"] = x
        out[f"{name}/output"] = y
        out[f"{name}/grad_output"] = dy
        out[f"{name}/grad_input"] = x.grad
    write("pooling", out)


def gram(x):
    n, c, h, w = x.shape
    f = x.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (h * w)


def total_variation(x):
    return ((x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2).sum() + (
        (x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum()


def gram_and_tv_cases():
    x = torch.randn(2, 4, 5, 6, requires_grad=True)
    g = gram(x)
    dg = torch.randn_like(g)
    g.backward(dg)
    write("gram", {"input": x, "output": g, "grad_output": dg, "grad_input": x.grad})

    x = torch.rand(1, 3, 6, 7, requires_grad=True)
    tv = total_variation(x)
    tv.backward()
    write("total_variation", {"input": x, "output": tv, "grad_input": x.grad})


class Problem:
    """A small style-transfer-like objective the C++ test rebuilds from the same ops:
    f(x) = sum((gram(relu(conv2d(x, w, b, padding=1))) - target)^2) + 0.1 * tv(x)."""

    def __init__(self):
        self.x0 = torch.rand(1, 3, 8, 8)
        self.weight = torch.randn(4, 3, 3, 3) * 0.3
        self.bias = torch.randn(4) * 0.1
        with torch.no_grad():
            self.target = gram(F.relu(F.conv2d(torch.rand(1, 3, 8, 8), self.weight, self.bias,
                                               padding=1)))

    def loss(self, x):
        features = F.relu(F.conv2d(x, self.weight, self.bias, padding=1))
        return ((gram(features) - self.target) ** 2).sum() + 0.1 * total_variation(x)

    def tensors(self):
        return {"problem/x0": self.x0, "problem/weight": self.weight, "problem/bias": self.bias,
                "problem/target": self.target}


def optimizer_cases():
    problem = Problem()

    x = problem.x0.clone().requires_grad_()
    adam = torch.optim.Adam([x], lr=0.05)
    out = problem.tensors()
    losses = []
    for i in range(10):
        adam.zero_grad()
        loss = problem.loss(x)
        loss.backward()
        losses.append(loss.item())
        adam.step()
        out[f"adam/x_after_{i + 1}"] = x.detach().clone()
    out["adam/losses"] = torch.tensor(losses)

    # name: (LBFGS keyword arguments, step() calls)
    configs = {
        "lbfgs_fixed": (dict(lr=1, max_iter=1, history_size=5), 10),
        "lbfgs_wolfe": (dict(lr=1, max_iter=1, history_size=5,
                             line_search_fn="strong_wolfe"), 10),
        "lbfgs_inner": (dict(max_iter=10, line_search_fn="strong_wolfe"), 1),
    }
    for name, (kwargs, steps) in configs.items():
        x = problem.x0.clone().requires_grad_()
        lbfgs = torch.optim.LBFGS([x], **kwargs)

        def closure():
            lbfgs.zero_grad()
            loss = problem.loss(x)
            loss.backward()
            return loss

        losses = []
        for i in range(steps):
            losses.append(float(lbfgs.step(closure)))
            out[f"{name}/x_after_{i + 1}"] = x.detach().clone()
        out[f"{name}/losses"] = torch.tensor(losses)
        out[f"{name}/func_evals"] = torch.tensor(float(lbfgs.state[x]["func_evals"]))
    write("optimizers", out)


class Forbidden:
    """Pickles as a call of os.system: what a malicious checkpoint would contain."""

    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def weights_cases():
    """Small checkpoints in every format the weights reader accepts, and broken ones."""
    out_dir = os.path.join(OUT, "weights")
    os.makedirs(out_dir, exist_ok=True)
    base = torch.randn(3, 2)
    state = {
        "features.0.weight": torch.randn(2, 3, 3, 3),
        "features.0.bias": torch.randn(2),
        "half": torch.randn(3, 4).half(),
        "bf16": torch.randn(5).bfloat16(),
        "double": torch.randn(2, 2).double(),
        "int": torch.tensor([1, -2, 300]),
        "strided": base.t(),  # a non-contiguous view: saved as the storage with strides
        "scalar": torch.tensor(2.5),
    }
    torch.save(state, os.path.join(out_dir, "state_zip.pth"))
    torch.save(state, os.path.join(out_dir, "state_legacy.pth"),
               _use_new_zipfile_serialization=False)
    write("weights/state_values", {k: v.float() for k, v in state.items()})

    torch.save({"x": Forbidden()}, os.path.join(out_dir, "forbidden_global.pth"))

    # A zip checkpoint whose storage record "<archive>/data/0" is missing.
    source = zipfile.ZipFile(os.path.join(out_dir, "state_zip.pth"))
    with zipfile.ZipFile(os.path.join(out_dir, "missing_record.pth"), "w",
                         zipfile.ZIP_STORED) as broken:
        for info in source.infolist():
            if not info.filename.endswith("/data/0"):  # fixed date: reproducible bytes
                broken.writestr(zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0)),
                                source.read(info.filename))

    # safetensors written here from the format's description, independently of the C++ writer.
    tensors = {"a": torch.randn(2, 3), "h": torch.randn(4).half(), "b": torch.randn(3).bfloat16()}
    dtypes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": {"made_by": "make_fixtures.py"}}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 \
            else t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    with open(os.path.join(out_dir, "small.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    write("weights/small_values", {k: v.float() for k, v in tensors.items()})


def vgg19_layout():
    """torchvision's vgg19().features, layer by layer: kind (0 conv, 1 relu, 2 max-pool) and
    the convolutions' channels, so the C++ model can be checked against the original."""
    import torchvision
    rows = []
    for layer in torchvision.models.vgg19().features:
        if isinstance(layer, torch.nn.Conv2d):
            assert layer.kernel_size == (3, 3) and layer.padding == (1, 1)
            rows.append([0, layer.in_channels, layer.out_channels])
        elif isinstance(layer, torch.nn.ReLU):
            rows.append([1, 0, 0])
        else:
            assert isinstance(layer, torch.nn.MaxPool2d) and layer.kernel_size == 2
            rows.append([2, 0, 0])
    write("vgg19_layout", {"layers": torch.tensor(rows, dtype=torch.float32)})


# nst's default Adam (nst/settings.h); StyleTransferParity checks that they still are.
ADAM_DEFAULT_LR, ADAM_DEFAULT_BETA2 = 0.03, 0.9


def style_transfer_case():
    """The style transfer of README's "The losses", written directly in PyTorch, on a small problem:
    VGG19 up to relu2_1 (random weights; stored, so both sides use the same), two style
    images blended 2:1, content relu2_1, style relu1_1 and relu2_1, TV on; 15 Adam steps with
    clamping (with torch's betas, and with nst's default step and beta2), and 10 L-BFGS evaluations. Records the loss log rows and the final images."""
    import torchvision
    features = torchvision.models.vgg19().features[:7].eval()  # conv1_1 ... relu2_1
    for layer in features:
        if isinstance(layer, torch.nn.ReLU):
            layer.inplace = False
    for p in features.parameters():
        p.requires_grad_(False)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    index = {"relu1_1": 1, "relu2_1": 6}

    def layer_outputs(x, names):
        h, out = (x - mean) / std, {}
        for i, layer in enumerate(features):
            h = layer(h)
            for name in names:
                if index[name] == i:
                    out[name] = h
        return [out[n] for n in names]

    content = torch.rand(1, 3, 24, 32)
    styles = [torch.rand(1, 3, 20, 20), torch.rand(1, 3, 28, 24)]
    blend = [2.0 / 3.0, 1.0 / 3.0]
    content_layers, style_layers = ["relu2_1"], ["relu1_1", "relu2_1"]
    alpha, beta, gamma = 1.0, 330.0, 0.01
    with torch.no_grad():
        content_targets = layer_outputs(content, content_layers)
        style_grams = [layer_outputs(s, style_layers) for s in styles]
        style_targets = [sum(b * gram(g[l]) for b, g in zip(blend, style_grams))
                         for l in range(len(style_layers))]

    def losses(x):
        f = layer_outputs(x, content_layers + style_layers)
        e_c = sum(((fc - p) ** 2).sum() / (4 * fc[0].numel())
                  for fc, p in zip(f[:1], content_targets))
        e_s = sum(((gram(fs) - a) ** 2).sum() / (4 * fs.shape[1] ** 2)
                  for fs, a in zip(f[1:], style_targets)) / len(style_layers)
        e_tv = total_variation(x)
        return alpha * e_c + beta * e_s + gamma * e_tv, e_c, e_s, e_tv

    out = {"content": content, "style0": styles[0], "style1": styles[1]}
    for i in (0, 2, 5):
        out[f"vgg/features.{i}.weight"] = features[i].weight
        out[f"vgg/features.{i}.bias"] = features[i].bias

    def adam_run(name, lr, betas):
        x = content.clone().requires_grad_()
        adam = torch.optim.Adam([x], lr=lr, betas=betas)
        rows = []
        for i in range(1, 16):
            adam.zero_grad()
            total, e_c, e_s, e_tv = losses(x)
            total.backward()
            rows.append([i, total.item(), e_c.item(), e_s.item(), e_tv.item()])
            adam.step()
            with torch.no_grad():
                x.clamp_(0, 1)
        out[f"{name}/loss_log"] = torch.tensor(rows)
        out[f"{name}/image"] = x.detach()
        out[f"{name}/options"] = torch.tensor([lr, betas[1]], dtype=torch.float32)

    adam_run("adam", 0.02, (0.9, 0.999))  # torch's betas
    adam_run("adam_defaults", ADAM_DEFAULT_LR, (0.9, ADAM_DEFAULT_BETA2))  # nst's defaults

    x = content.clone().requires_grad_()
    lbfgs = torch.optim.LBFGS([x], lr=1, max_iter=10, max_eval=10, history_size=10)
    rows = []

    def closure():
        lbfgs.zero_grad()
        total, e_c, e_s, e_tv = losses(x)
        total.backward()
        rows.append([len(rows) + 1, total.item(), e_c.item(), e_s.item(), e_tv.item()])
        return total

    lbfgs.step(closure)
    out["lbfgs/loss_log"] = torch.tensor(rows)
    out["lbfgs/image"] = x.detach().clamp(0, 1)
    write("style_transfer", out)


if __name__ == "__main__":
    torch.manual_seed(20261124)
    conv2d_cases()
    pooling_cases()
    gram_and_tv_cases()
    optimizer_cases()
    weights_cases()
    vgg19_layout()
    style_transfer_case()
