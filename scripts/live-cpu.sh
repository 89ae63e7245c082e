#!/usr/bin/env bash
# CPU used by `spinewatch record` (serial reader thread + decoding + pipeline + CSV recording) at
# 1 kHz from the simulated sensor on a pseudo-terminal, over 60 s of real time. CPU is the sum over
# the record process's threads of the run time in /proc/PID/task/*/schedstat (nanoseconds; the
# 10-ms ticks of /proc/PID/stat are too coarse at ~1 %), read 10 s after the start and 60 s later;
# the simulator's own CPU is not counted (it stands in for the hardware). Sums are printed with
# printf: mawk prints sums over 2^31 as 1.2e+09, which bc cannot read.
# Usage: cargo build --release && scripts/live-cpu.sh
#   B=path/to/spinewatch   the build to measure (default target/release/spinewatch)
#   SIM=path/to/spinewatch the build that simulates the sensor (default: $B)
#   PEER="python3 scripts/peers/read_serial.py"  measure that reader instead of `record` (it gets
#                          --port PTY --out FILE --seconds 75)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-target/release/spinewatch}
SIM=${SIM:-$B}
PEER=${PEER:-}
D=$(mktemp -d)
trap 'kill -INT $SIMPID 2>/dev/null || true; rm -rf "$D"' EXIT
$SIM simulate --pty --rate-hz 1000 --minutes 3 --no-link > "$D/sim.out" &
SIMPID=$!
for _ in $(seq 50); do grep -q '^waiting' "$D/sim.out" && break; sleep 0.1; done
PTY=$(awk '/^pty:/{print $2}' "$D/sim.out")
CAL=$(awk '/^calibration poses/{print $4}' "$D/sim.out")
if [ -n "$PEER" ]; then
    $PEER --port "$PTY" --out "$D/rec.csv" --seconds 75 > "$D/rec.out" 2> "$D/rec.err" &
else
    $B record --port "$PTY" --out "$D/rec.csv" --calibrate "$CAL" --seconds 75 > "$D/rec.out" 2> "$D/rec.err" &
fi
REC=$!
sleep 10 # past connecting, calibration and the first flushes
# $1 and its descendants (a PEER command may be a wrapper that starts its interpreter as a child).
tree() { echo "$1"; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$c"; done; }
# Run time of every thread of $1's process tree in ns (a thread that ended in between is not
# counted: the recorder's threads live for the whole run).
runtime_ns() {
    for p in $(tree "$1"); do cat /proc/"$p"/task/*/schedstat 2>/dev/null || true; done |
        awk '{s += $1} END {printf "%.0f\n", s}'
}
T0=$(runtime_ns $REC); W0=$(date +%s.%N)
sleep 60
T1=$(runtime_ns $REC); W1=$(date +%s.%N)
wait $REC
echo "${PEER:-$B record} at 1 kHz: $(echo "scale=3; ($T1 - $T0) / 1000000" | bc) ms CPU in $(echo "$W1 - $W0" | bc) s"
echo "scale=3; 100 * ($T1 - $T0) / 1000000000 / ($W1 - $W0)" | bc | sed 's/$/ % of one core/'
grep -E '^(recorded|link|time|peer) ' "$D/rec.out" || cat "$D/rec.out" "$D/rec.err"
