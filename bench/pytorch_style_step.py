#!/usr/bin/python3
"""The peer for bench_style_step: the same style-transfer iteration in PyTorch (Debian's 1.13,
oneDNN), written from the same formulas: VGG19 features to relu5_1 with random weights,
content relu4_2, style relu1_1..relu5_1, Gram F F^T / (H W), an Adam step and a clamp.

    /usr/bin/python3 bench/pytorch_style_step.py SIZE [REPEATS]

SIZE is a side (512) or HEIGHTxWIDTH (2160x3840). Prints one line: "pytorch SIZE
median_seconds". Threads: $THREADS, else all cores, as nst uses
(torch's own default here can be 1 thread, which would make an unfair peer)."""
import os
import statistics
import sys
import time

import torch
import torchvision


def main():
    size = sys.argv[1]
    height, width = (int(v) for v in size.split("x")) if "x" in size else (int(size),) * 2
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(int(os.environ.get("THREADS", os.cpu_count())))
    torch.manual_seed(0)
    features = torchvision.models.vgg19().features[:30].eval()  # up to relu5_1
    for layer in features:
        if isinstance(layer, torch.nn.ReLU):
            layer.inplace = False
    for p in features.parameters():
        p.requires_grad_(False)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    content_index, style_index = [22], [1, 6, 11, 20, 29]

    wanted = set(content_index + style_index)

    def layers(x):
        # Keeps only the outputs the losses use, so PyTorch frees the rest as it would.
        h, out = (x - mean) / std, {}
        for i, layer in enumerate(features):
            h = layer(h)
            if i in wanted:
                out[i] = h
        return out

    def gram(f):
        n, c, h, w = f.shape
        f = f.reshape(c, h * w)
        return f @ f.t() / (h * w)

    content, style = torch.rand(1, 3, height, width), torch.rand(1, 3, height, width)
    with torch.no_grad():
        targets = layers(content)
        content_targets = [targets[i] for i in content_index]
        style_targets = [gram(layers(style)[i]) for i in style_index]
    x = torch.rand(1, 3, height, width).requires_grad_()
    adam = torch.optim.Adam([x], lr=0.02)

    def step():
        adam.zero_grad()
        out = layers(x)
        e_c = sum(((out[i] - t) ** 2).sum() / (4 * t.numel())
                  for i, t in zip(content_index, content_targets))
        e_s = sum(((gram(out[i]) - a) ** 2).sum() / (4 * a.shape[0] ** 2)
                  for i, a in zip(style_index, style_targets)) / len(style_index)
        (e_c + 330.0 * e_s).backward()
        adam.step()
        with torch.no_grad():
            x.clamp_(0, 1)

    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(f"pytorch {size} {statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
