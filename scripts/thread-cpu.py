#!/usr/bin/env python3
"""Runs a command and prints its wall time and the CPU time of each of its threads, by name.

    python3 scripts/thread-cpu.py spinewatch replay day8h.csv --headless --angles a.csv --events e.jsonl --force

Why: the headless replay runs four threads (the driver, `csv-reader`, `orientation`,
`angles-writer`) on two cores; whether it is as fast as it can be depends on how busy each one is,
not only on the total. With `--waits`, each thread's time spent ready but waiting for a core
(schedstat's second field) follows its CPU time in brackets: a critical thread that waits is
losing its core to the others.
Reads `/proc/PID/task/*/schedstat` (run time in nanoseconds, not 10-ms ticks) every 10 ms and keeps
each thread's last value, so a thread that ends early is still counted (up to 10 ms short).
The command's output goes to /dev/null. Linux only.
"""
import glob
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    args = sys.argv[1:]
    waits = args[:1] == ["--waits"]
    if waits:
        args = args[1:]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    last_ns = {}
    wait_ns = {}
    names = {}
    start = time.monotonic()
    while proc.poll() is None:
        for task in glob.glob(f"/proc/{proc.pid}/task/*"):
            try:
                with open(task + "/schedstat") as f:
                    fields = f.read().split()
                    ns, waited = int(fields[0]), int(fields[1])
                with open(task + "/comm") as f:
                    names[task] = f.read().strip()
                last_ns[task] = ns
                wait_ns[task] = waited
            except (OSError, ValueError, IndexError):
                pass  # the thread ended between the listing and the read
        time.sleep(0.01)
    wall = time.monotonic() - start
    threads = " ".join(
        f"{names[t]}={last_ns[t] / 1e9:.2f}s"
        + (f"[{wait_ns[t] / 1e9:.2f}s]" if waits else "")
        for t in last_ns
    )
    print(f"wall {wall:.2f} s (exit {proc.returncode}) {threads}")


if __name__ == "__main__":
    main()
