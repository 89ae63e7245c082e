#!/usr/bin/env bash
# CPU used by `spinewatch record` (serial reader thread + decoding + pipeline + CSV recording) at
# 1 kHz from the simulated sensor on a pseudo-terminal, over 60 s of real time. CPU is utime+stime
# of the record process from /proc/PID/stat; the simulator's own CPU is not counted (it stands in
# for the hardware). Usage: cargo build --release && scripts/live-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-target/release/spinewatch}
D=$(mktemp -d)
trap 'kill -INT $SIM 2>/dev/null || true; rm -rf "$D"' EXIT
$B simulate --pty --rate-hz 1000 --minutes 3 --no-link > "$D/sim.out" &
SIM=$!
for _ in $(seq 50); do grep -q '^waiting' "$D/sim.out" && break; sleep 0.1; done
PTY=$(awk '/^pty:/{print $2}' "$D/sim.out")
CAL=$(awk '/^calibration poses/{print $4}' "$D/sim.out")
$B record --port "$PTY" --out "$D/rec.csv" --calibrate "$CAL" --seconds 75 > "$D/rec.out" 2> "$D/rec.err" &
REC=$!
sleep 10 # past connecting, calibration and the first flushes
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
T0=$(ticks $REC); W0=$(date +%s.%N)
sleep 60
T1=$(ticks $REC); W1=$(date +%s.%N)
HZ=$(getconf CLK_TCK)
wait $REC
echo "record at 1 kHz: $((T1 - T0)) CPU ticks (1/$HZ s) in $(echo "$W1 - $W0" | bc) s"
echo "scale=2; 100 * ($T1 - $T0) / $HZ / ($W1 - $W0)" | bc | sed 's/$/ % of one core/'
grep -E '^(recorded|link|time) ' "$D/rec.out"
