#!/usr/bin/env python3
"""PSNR in dB between two pictures of the same size (8 bits per channel):
    bench/psnr.py A.png B.png
Reads them with torchvision (Debian's python3-torchvision), the peer's library, not nst's."""
import math
import sys

from torchvision.io import ImageReadMode, read_image


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = (read_image(path, ImageReadMode.RGB).double() for path in sys.argv[1:])
    if a.shape != b.shape:
        sys.exit(f"{sys.argv[1]} is {tuple(a.shape)}, {sys.argv[2]} is {tuple(b.shape)}")
    mse = ((a - b) ** 2).mean().item()
    print("inf" if mse == 0 else f"{10 * math.log10(255 ** 2 / mse):.2f}")


if __name__ == "__main__":
    main()
