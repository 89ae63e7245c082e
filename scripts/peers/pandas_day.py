#!/usr/bin/env python3
"""A day's summary the way a user without the history would compute it with pandas: the peer of
the day view in `cargo bench --bench history` (`history/day_10h_summary_and_chart`).

    spinewatch simulate --minutes 600 --seed 8 --out day10h.csv
    spinewatch replay day10h.csv --headless --angles day10h.angles.csv
    python3 scripts/peers/pandas_day.py day10h.angles.csv [more.angles.csv ...] [--repeat N]

For each angles file (as written by `replay --angles` or the recorder: time_s, flexion_deg,
state, ...) it times, best of N runs: `pd.read_csv` of the columns needed, the time spent in
each state (each sample counts until the next one; gaps over 1 s are not counted) and the
per-minute min/max flexion (the day chart's band). Prints the load and compute times apart and
their sum. Several files: the month view's peer (one file per day, timed together).
Needs `pip install pandas numpy`.
"""
import argparse
import time

import pandas as pd


def summarise(df):
    dt = df["time_s"].diff().shift(-1).fillna(0.0)
    dt = dt.where(dt <= 1.0, 0.0)
    per_state = dt.groupby(df["state"]).sum()
    minute = (df["time_s"] // 60).astype("int64")
    band = df.groupby(minute)["flexion_deg"].agg(["min", "max"])
    return per_state, band


def main():
    p = argparse.ArgumentParser()
    p.add_argument("angles", nargs="+")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    best = (float("inf"), 0.0, 0.0)
    for _ in range(a.repeat):
        load = compute = 0.0
        for path in a.angles:
            t0 = time.perf_counter()
            df = pd.read_csv(path, usecols=["time_s", "flexion_deg", "state"], comment="#")
            t1 = time.perf_counter()
            per_state, band = summarise(df)
            t2 = time.perf_counter()
            load += t1 - t0
            compute += t2 - t1
        if load + compute < best[0]:
            best = (load + compute, load, compute)
    total, load, compute = best
    print(f"pandas day summary, {len(a.angles)} file(s), last {len(df)} rows: "
          f"{total * 1e3:.0f} ms ({load * 1e3:.0f} ms read_csv + {compute * 1e3:.0f} ms compute)")
    print("seconds per state:", {k: round(v) for k, v in per_state.items()},
          f"; {len(band)} minutes in the band")


if __name__ == "__main__":
    main()
