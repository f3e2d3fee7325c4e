#!/usr/bin/env python3
"""Applies the convergence rule (nst/convergence.h) to the loss curves of
bench/tolerance_curves.sh, for a grid of tolerances and windows.

For each run to its cap with --tolerance 0 (NAME_default.csv, NAME_lbfgs.csv) and each
(tolerance, window), it prints where the rule would have stopped the run (iteration k of the
full-size scale; a coarse scale is stopped by the same rule first, which shifts the numbering
only), the loss there over E* (the final loss of NAME_single.csv, the standard recipe's
single-scale 500-iteration Adam run), and the time there over the single-scale run's. The rule,
exactly as the C++ one: best(t) = min(E_1..E_t), gain = best(t-window) - best(t); converged at t
if t > window, gain < tolerance * best(t-window) and gain < 0.05 * (E_1 - best(t)). Time is
counted as iterations weighed by their scale's pixels (4x fewer at each coarser scale), scaled
to the measured wall time of the run.

    python3 bench/tolerance_choice.py OUTDIR
"""
import csv
import glob
import os
import sys

TOLERANCES = [5e-2, 3e-2, 2e-2, 1e-2, 7e-3, 5e-3, 3e-3, 2e-3, 1e-3]
WINDOWS = [10, 25, 50, 100]
SLOWED = 0.05  # the window's gain, at most this share of all the scale has gained (C++: kSlowed)


def read_log(path):
    """Rows of (scale, total), skipping the comment at the end."""
    with open(path) as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    return [(int(r.get("scale", 1)), float(r["total"])) for r in rows]


def seconds(path):
    with open(path) as f:
        return float(f.read().split()[0])


def stop(totals, tolerance, window):
    """1-based iteration at which the rule stops this scale's totals, or len(totals)."""
    best = []
    for t, total in enumerate(totals, 1):
        best.append(min(best[-1], total) if best else total)
        if t <= window:
            continue
        gain = best[-1 - window] - best[-1]
        if gain < tolerance * best[-1 - window] and gain < SLOWED * (totals[0] - best[-1]):
            return t
    return len(totals)


def analyse(name, rows, run_seconds, e_star, single_seconds):
    scales = sorted({s for s, _ in rows})
    per_scale = {s: [total for k, total in rows if k == s] for s in scales}
    weight = {s: 4.0 ** (s - scales[-1]) for s in scales}  # pixels, relative to the full size
    full_work = sum(weight[s] * len(per_scale[s]) for s in scales)
    print(f"\n{name}: {len(rows)} iterations to the cap in {run_seconds:.0f} s; cap loss / E* "
          f"= {per_scale[scales[-1]][-1] / e_star:.3f}")
    print("  tolerance  window  stops at (full-size it.)  loss / E*  time / single-scale time")
    for window in WINDOWS:
        for tolerance in TOLERANCES:
            work, ran = 0.0, []
            for s in scales:
                k = stop(per_scale[s], tolerance, window)
                work += weight[s] * k
                ran.append(k)
            loss = per_scale[scales[-1]][ran[-1] - 1]
            time = run_seconds * work / full_work
            print(f"  {tolerance:9.0e}  {window:6d}  {'+'.join(map(str, ran)):>24}  "
                  f"{loss / e_star:9.3f}  {time / single_seconds:8.2f}")


def main(out):
    for single in sorted(glob.glob(os.path.join(out, "*_single.csv"))):
        stem = single[: -len("_single.csv")]
        e_star = read_log(single)[-1][1]
        single_seconds = seconds(stem + "_single.time")
        print(f"\n== {os.path.basename(stem)}: E* {e_star:.6g}, single scale {single_seconds:.0f} s")
        for kind in ("single", "default", "lbfgs"):
            if os.path.exists(f"{stem}_{kind}.csv"):
                analyse(kind, read_log(f"{stem}_{kind}.csv"), seconds(f"{stem}_{kind}.time"),
                        e_star, single_seconds)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tolerance-curves")
