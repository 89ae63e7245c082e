#!/usr/bin/env bash
# Measures the desktop app's cost under Xvfb (software rendering, llvmpipe) with the demo sensor
# live at 100 Hz: CPU share of one core and frames drawn per second, first with the window visible
# at its default size, then minimised. A third phase replays a simulated 90-minute day at 1×
# from minute 81, so the live plot holds a full hour at 100 Hz, drawn over its 1-hour span.
# Prints one line per phase (THREADS=1: and each thread's share).
#
# Needs (Debian): apt-get install -y xvfb openbox xdotool
# Usage: cargo build --release && scripts/measure-gui.sh        (SECS=60 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/spinewatch}
SECS=${SECS:-60}
DISP=${DISP:-:77}
WORK=$(mktemp -d)

Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
cleanup() { kill "${APP:-}" "${WM:-}" "$XVFB" 2>/dev/null || true; }
trap cleanup EXIT
export DISPLAY=$DISP
sleep 1
# A window manager, so that "minimised" means what it means on a desktop.
openbox >"$WORK/wm.log" 2>&1 &
WM=$!
sleep 1
SPINEWATCH_HOME="$WORK/home" "$BIN" --stats 2>"$WORK/stats.log" &
APP=$!
sleep 30 # start-up; the demo wearer calibrates itself after 21 s

# CPU time of every thread of the app, ns (schedstat: nanoseconds, not 10-ms ticks), one line
# per thread: "<tid> <name> <ns>".
threads_ns() {
    for t in /proc/"$APP"/task/*; do
        printf '%s %s %s\n' "${t##*/}" "$(tr ' ' '_' <"$t/comm")" "$(cut -d' ' -f1 "$t/schedstat")"
    done 2>/dev/null
}
cpu_ns() { threads_ns | awk '{s += $3} END {print s}'; }
# "t=<seconds> s" and "<n> frames in total" of the latest stats line (printed every 5 s).
stat_t() { grep -o 't=[0-9.]* s' "$WORK/stats.log" | tail -1 | tr -dc '0-9.'; }
stat_frames() { grep -o '[0-9]* frames in total' "$WORK/stats.log" | tail -1 | cut -d' ' -f1; }
phase() {
    local c0 c1 s0 s1 t0 t1 f0 f1
    threads_ns >"$WORK/threads0"
    c0=$(cpu_ns); s0=$(date +%s.%N); t0=$(stat_t); f0=$(stat_frames)
    sleep "$SECS"
    c1=$(cpu_ns); s1=$(date +%s.%N); t1=$(stat_t); f1=$(stat_frames)
    threads_ns >"$WORK/threads1"
    awk -v n="$1" -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v t0="$t0" -v t1="$t1" \
        -v f0="$f0" -v f1="$f1" 'BEGIN {
            printf "%-10s CPU %5.2f%% of one core over %.0f s; %.2f frames/s (%d frames in %.1f s)\n",
                n, 100 * (c1 - c0) / 1e9 / (s1 - s0), s1 - s0, (f1 - f0) / (t1 - t0), f1 - f0, t1 - t0 }'
    # THREADS=1: each thread's share, largest first (threads named by the app, e.g. "pipeline").
    if [ "${THREADS:-0}" = 1 ]; then
        awk -v secs="$SECS" 'NR == FNR { start[$1] = $3; next }
            { d = $3 - ($1 in start ? start[$1] : 0); by[$2] += d }
            END { for (n in by) if (by[n] > 0) printf "  %-18s %6.3f%%\n", n, 100 * by[n] / 1e9 / secs }' \
            "$WORK/threads0" "$WORK/threads1" | sort -k2 -rn
    fi
}
phase visible
xdotool search --sync --name '^spinewatch$' windowminimize
sleep 5
phase minimised
echo "memory     $(awk '/VmRSS/ {print $2 " kB resident"}' "/proc/$APP/status")"
kill "$APP"; wait "$APP" 2>/dev/null || true

"$BIN" simulate --minutes 90 --seed 4 --out "$WORK/day.csv" >/dev/null
SPINEWATCH_HOME="$WORK/home" "$BIN" --stats replay "$WORK/day.csv" 2>"$WORK/stats.log" &
APP=$!
WID=$(xdotool search --sync --name '^spinewatch$' | head -1)
sleep 6                                              # the overview scan
xdotool mousemove --window "$WID" 921 165 click 1    # seek to 90 % (minute 81)
sleep 4
xdotool mousemove --window "$WID" 356 471 click 1    # plot span: 1 h
xdotool mousemove --window "$WID" 41 103 click 1     # Play at 1×
xdotool mousemove --window "$WID" 600 695
sleep 6
phase replay-1h
