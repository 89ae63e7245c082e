#!/usr/bin/env python3
"""The script a user would write instead of `spinewatch replay --headless --angles`: pandas to
read the session, the official VQF for orientation, forward bend and side bend from gravity in
the sensor frame relative to an upright pose, pandas to write the angles. The peer of the whole
headless replay in BENCHMARKS.md (time it as a whole, as a user would).

    python3 scripts/peers/pandas_vqf.py SESSION.csv OUT.csv

Needs `pip install vqf pandas numpy`.
"""
import sys

import numpy as np
import pandas as pd
from vqf import VQF


def main():
    src, out = sys.argv[1], sys.argv[2]
    df = pd.read_csv(src, comment="#")
    acc = np.ascontiguousarray(df[["ax_g", "ay_g", "az_g"]].to_numpy() * 9.81)
    gyr = np.ascontiguousarray(np.deg2rad(df[["gx_dps", "gy_dps", "gz_dps"]].to_numpy()))
    ts = float(np.median(np.diff(df["time_s"].to_numpy())))
    q = VQF(ts).updateBatch(gyr, acc)["quat6D"]  # w, x, y, z: sensor to earth
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    # Gravity (earth z) in the sensor frame: the third row of the rotation matrix.
    g = np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=1)
    up = g[: max(1, int(10 / ts))].mean(axis=0)  # the first ten seconds: sitting upright
    up /= np.linalg.norm(up)
    flexion = np.degrees(np.arccos(np.clip(g @ up, -1.0, 1.0)))
    lateral = np.degrees(np.arcsin(np.clip(g[:, 0] - up[0], -1.0, 1.0)))
    pd.DataFrame({
        "time_s": df["time_s"],
        "flexion_deg": flexion.round(3),
        "lateral_deg": lateral.round(3),
        "qw": w.round(7), "qx": x.round(7), "qy": y.round(7), "qz": z.round(7),
    }).to_csv(out, index=False)


if __name__ == "__main__":
    main()
