#!/usr/bin/env python3
"""The official VQF's C++ filter alone on a session's samples already in memory: the peer of
`spinewatch replay --headless` in BENCHMARKS.md.

    python3 scripts/peers/vqf_alone.py SESSION.csv [--repeat N]

Loads the six sensor columns with numpy (not timed), then times `VQF.updateBatch` (the
online filter, its loop in C++) over all samples, best of N runs. Prints seconds and samples/s.
Needs `pip install vqf numpy`.
"""
import argparse
import time

import numpy as np
from vqf import VQF


def load(path):
    with open(path) as f:
        header = None
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            header = line.strip().split(",")
            break
        cols = [header.index(c) for c in
                ("time_s", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps")]
        data = np.loadtxt(f, delimiter=",", usecols=cols, comments="#")
    t = data[:, 0]
    acc = np.ascontiguousarray(data[:, 1:4] * 9.81)
    gyr = np.ascontiguousarray(np.deg2rad(data[:, 4:7]))
    return t, acc, gyr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    t, acc, gyr = load(a.csv)
    ts = float(np.median(np.diff(t)))
    best = float("inf")
    for _ in range(a.repeat):
        f = VQF(ts)
        t0 = time.perf_counter()
        out = f.updateBatch(gyr, acc)
        best = min(best, time.perf_counter() - t0)
        assert out["quat6D"].shape[0] == len(t)
    print(f"vqf C++ updateBatch: {len(t)} samples in {best:.3f} s "
          f"({len(t) / best / 1e6:.2f} M samples/s, {best / len(t) * 1e9:.0f} ns/sample)")


if __name__ == "__main__":
    main()
