#!/usr/bin/env python3
"""Float error of Winograd F(m x m, 3 x 3) on VGG19-scaled data, for choosing the tile size.

Builds F(m, 3) by Cook-Toom from interpolation points (A^T from powers of the points, G from
the Lagrange denominators, B^T solved so that the bilinear form is exactly the 3-tap
correlation), runs it in float32 over a 256-channel layer shaped like conv3_x (ReLU inputs,
He-initialised weights), and compares with the direct convolution in float64. Prints the worst
error relative to each output's sum of |terms| (the bound tests/test_winograd.cpp uses) and
relative to the outputs' RMS. The F(4x4) it builds has the very matrices of
tensor/winograd_simd.h, which the script checks first.

    /usr/bin/python3 bench/winograd_error.py      (needs Debian's python3-torch; a few seconds)
"""
import itertools

import torch

F64 = torch.float64


def cook_toom(points, m, r=3):
    """A^T (m x n), G (n x r), B^T (n x n) for F(m, r) with n = m + r - 1 = len(points) + 1."""
    n = m + r - 1
    assert len(points) == n - 1
    at = torch.zeros(m, n, dtype=F64)
    g = torch.zeros(n, r, dtype=F64)
    for j, p in enumerate(points):
        at[:, j] = torch.tensor([p**i for i in range(m)], dtype=F64)
        f = 1.0
        for q in points:
            if q != p:
                f *= p - q
        g[j] = torch.tensor([p**k for k in range(r)], dtype=F64) / f
    at[m - 1, n - 1] = 1.0  # the point at infinity
    g[n - 1, r - 1] = 1.0
    # sum_j at[i, j] g[j, k] bt[j, l] = 1 if l == i + k else 0, for all i, k, l: linear in bt.
    rows, rhs = [], []
    for i, k, l in itertools.product(range(m), range(r), range(n)):
        coefficients = torch.zeros(n, n, dtype=F64)
        coefficients[:, l] = at[i] * g[:, k]
        rows.append(coefficients.flatten())
        rhs.append(1.0 if l == i + k else 0.0)
    solution = torch.linalg.lstsq(torch.stack(rows), torch.tensor(rhs, dtype=F64)).solution
    bt = solution.reshape(n, n)
    return at, g, bt


# F(4x4, 3x3) as tensor/winograd_simd.h writes it (bt, at and g there).
OURS_BT = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
           [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
OURS_AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
OURS_G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
          [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]


def winograd_conv(x, w, at, g, bt, dtype):
    """3x3, stride 1, padding 1 convolution of x [C, H, W] by w [K, C, 3, 3] in `dtype`."""
    m, n = at.shape
    at, g, bt = at.to(dtype), g.to(dtype), bt.to(dtype)
    x, w = x.to(dtype), w.to(dtype)
    c, h, wd = x.shape
    tiles_y, tiles_x = -(-h // m), -(-wd // m)
    padded = torch.zeros(c, tiles_y * m + 2, tiles_x * m + 2, dtype=dtype)
    padded[:, 1:h + 1, 1:wd + 1] = x
    u = g @ w @ g.T  # [K, C, n, n]
    out = torch.zeros(w.shape[0], tiles_y * m, tiles_x * m, dtype=dtype)
    for ty in range(tiles_y):
        for tx in range(tiles_x):
            d = padded[:, ty * m:ty * m + n, tx * m:tx * m + n]  # [C, n, n]
            v = bt @ d @ bt.T
            products = (u * v.unsqueeze(0)).sum(dim=1)  # [K, n, n], summed over C in dtype
            out[:, ty * m:(ty + 1) * m, tx * m:(tx + 1) * m] = at @ products @ at.T
    return out[:, :h, :wd]


def measure(name, at, g, bt):
    torch.manual_seed(1)
    c, k, side = 256, 16, 28
    x = torch.relu(torch.randn(c, side, side, dtype=F64))
    w = torch.randn(k, c, 3, 3, dtype=F64) * (2.0 / (9 * c)) ** 0.5
    want = torch.nn.functional.conv2d(x[None], w, padding=1)[0]
    scale = torch.nn.functional.conv2d(x[None], w.abs(), padding=1)[0]
    got = winograd_conv(x, w, at, g, bt, torch.float32).to(F64)
    err = (got - want).abs()
    rms = want.pow(2).mean().sqrt()
    print(f"{name}: worst error {(err / scale).max():.2e} of the terms' sum, "
          f"{err.max() / rms:.2e} of the outputs' RMS; multiplications per output "
          f"{at.shape[1] ** 2 / at.shape[0] ** 2:.2f} (direct: 9)")


def main():
    at4, g4, bt4 = cook_toom([0, 1, -1, 2, -2], 4)
    for built, ours, what in ((at4, OURS_AT, "A^T"), (g4, OURS_G, "G"), (bt4, OURS_BT, "B^T")):
        assert torch.allclose(built, torch.tensor(ours, dtype=F64), atol=1e-9), what
    measure("F(4x4, 3x3), points 0 +-1 +-2 (ours)", at4, g4, bt4)
    at6, g6, bt6 = cook_toom([0, 1, -1, 2, -2, 0.5, -0.5], 6)
    measure("F(6x6, 3x3), points 0 +-1 +-2 +-1/2", at6, g6, bt6)
    at6b, g6b, bt6b = cook_toom([0, 1, -1, 2, -2, 3, -3], 6)
    measure("F(6x6, 3x3), points 0 +-1 +-2 +-3", at6b, g6b, bt6b)


if __name__ == "__main__":
    main()
