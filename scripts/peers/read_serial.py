#!/usr/bin/env python3
"""The live reader a user would write with pyserial: the peer of `spinewatch record` at 1 kHz.

    PEER="python3 scripts/peers/read_serial.py" scripts/live-cpu.sh          # decode + record
    PEER="python3 scripts/peers/read_serial.py --fuse" scripts/live-cpu.sh   # + official VQF

    python3 scripts/peers/read_serial.py --port PTY --out rec.csv --seconds 75 [--fuse]

Opens the port with pyserial, reads whatever has arrived (`ser.read(ser.in_waiting or 1)`, so it
wakes when data comes, not once per byte as `readline()` would), splits lines, checks each `$SW1`
line's CRC-16/CCITT-FALSE (`binascii.crc_hqx`, as firmware-protocol.md says), parses the sample
fields into floats and writes one CSV row per sample (time from the device clock). With --fuse
it also updates the official VQF (C++, `vqf.VQF.update`, one call per sample) and writes the
quaternion. It has no posture rules, alerts or calibration, so it does less than `record`.
scripts/live-cpu.sh times its CPU from /proc/PID/task/*/schedstat. Needs `pip install pyserial`
(and `vqf numpy` for --fuse).
"""
import argparse
import binascii
import time

import serial


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, default=75)
    p.add_argument("--fuse", action="store_true")
    a = p.parse_args()
    vqf = None
    if a.fuse:
        import numpy as np
        from vqf import VQF
        vqf = VQF(0.001)
    ser = serial.Serial(a.port, 115200, timeout=0.05)
    out = open(a.out, "w")
    out.write("time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps" + (",qw,qx,qy,qz\n" if vqf else "\n"))
    buf = b""
    n = bad = 0
    t_first = None
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        buf += ser.read(ser.in_waiting or 1)
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            line = line.strip()
            if not line.startswith(b"$"):
                continue
            star = line.rfind(b"*")
            if star < 0:
                bad += 1
                continue
            content = line[1:star]
            if int(line[star + 1:], 16) != binascii.crc_hqx(content, 0xFFFF):
                bad += 1
                continue
            f = content.split(b",")
            if f[1] != b"S":
                continue
            t_us = int(f[3])
            if t_first is None:
                t_first = last = t_us
            if t_us < last:  # the device's u32 microsecond clock wrapped
                t_first -= 2**32
            last = t_us
            v = [float(x) for x in f[4:10]]
            row = f"{(t_us - t_first) / 1e6:.6f},{v[0]},{v[1]},{v[2]},{v[3]},{v[4]},{v[5]}"
            if vqf is not None:
                vqf.update(np.radians(np.array(v[3:6])), np.array(v[0:3]) * 9.81)
                q = vqf.getQuat6D()
                row += f",{q[0]:.7f},{q[1]:.7f},{q[2]:.7f},{q[3]:.7f}"
            out.write(row + "\n")
            n += 1
    out.close()
    print(f"peer recorded {n} samples, {bad} bad lines")


if __name__ == "__main__":
    main()
