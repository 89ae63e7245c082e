#!/usr/bin/env python3
"""The protocol decoder a user would write in Python: the peer of `cargo bench --bench decoder`.

    SPINEWATCH_DECODER_DUMP=/tmp/dec cargo bench --bench decoder   # writes the bench's inputs
    python3 scripts/peers/decode_python.py /tmp/dec/sw1_samples.txt [--repeat N]
    python3 scripts/peers/decode_python.py /tmp/dec/plain_csv.txt --plain

Reads the file into memory (not timed), then times decoding those bytes, best of N runs: split
into lines, and for `$SW1` lines check the CRC-16/CCITT-FALSE of the bytes between `$` and `*`
against the printed one (`binascii.crc_hqx(content, 0xFFFF)`, as firmware-protocol.md says),
keep `S` records and parse seq, t_us and the six readings (ints and floats) into a list of
tuples. With --plain, each line is six comma-separated floats. Prints MB/s (10^6 bytes) and
MiB/s, the same units as criterion's throughput. Standard library only.
"""
import argparse
import binascii
import time


def decode_sw1(data):
    samples = []
    bad = 0
    for line in data.splitlines():
        if not line.startswith(b"$"):
            continue
        star = line.rfind(b"*")
        content = line[1:star]
        if star < 0 or int(line[star + 1:], 16) != binascii.crc_hqx(content, 0xFFFF):
            bad += 1
            continue
        f = content.split(b",")
        if f[0] != b"SW1" or f[1] != b"S":
            continue
        samples.append((int(f[2]), int(f[3]), float(f[4]), float(f[5]), float(f[6]),
                        float(f[7]), float(f[8]), float(f[9])))
    return samples, bad


def decode_plain(data):
    samples = []
    for line in data.splitlines():
        if line:
            samples.append(tuple(float(x) for x in line.split(b",")))
    return samples, 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("--plain", action="store_true", help="plain six-value lines")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    with open(a.input, "rb") as f:
        data = f.read()
    decode = decode_plain if a.plain else decode_sw1
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        samples, bad = decode(data)
        best = min(best, time.perf_counter() - t0)
    print(f"python {'plain' if a.plain else 'sw1'}: {len(samples)} samples ({bad} bad CRC) "
          f"from {len(data)} bytes in {best * 1e3:.2f} ms: {len(data) / best / 1e6:.2f} MB/s "
          f"({len(data) / best / 2**20:.2f} MiB/s)")


if __name__ == "__main__":
    main()
