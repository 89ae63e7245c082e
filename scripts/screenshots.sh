#!/usr/bin/env bash
# Takes the README's screenshots from the real window under Xvfb (with a window manager):
# docs/live.png (demo sensor, ~3 min in, during the demo's held slouch), docs/calibration.png
# (the wizard's second step on the demo sensor), docs/replay.png (a simulated 90-minute day in
# the replay player, sought to just after its second alert and playing at 1×).
#
# Needs (Debian): apt-get install -y xvfb openbox xdotool imagemagick
# Usage: cargo build --release && scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/spinewatch}
DISP=${DISP:-:79}
WORK=$(mktemp -d)
Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
cleanup() { kill "${APP:-}" "${WM:-}" "$XVFB" 2>/dev/null || true; }
trap cleanup EXIT
export DISPLAY=$DISP
sleep 1
openbox >"$WORK/wm.log" 2>&1 &
WM=$!
sleep 1
mkdir -p docs
click() { xdotool mousemove --window "$WID" "$1" "$2" click 1; }
park() { xdotool mousemove --window "$WID" 600 695; }
shot() { park; sleep 1; import -window "$WID" "$1"; echo "wrote $1"; }

# Live view: the demo's held slouch alerts at about 169 s.
SPINEWATCH_HOME="$WORK/home" "$BIN" 2>"$WORK/app.log" &
APP=$!
WID=$(xdotool search --sync --name '^spinewatch$' | head -1)
sleep 185
shot docs/live.png
click 715 21 # Calibrate (top bar)
sleep 13     # step 1 takes 8 s; the simulated wearer is leaning in step 2
shot docs/calibration.png
kill "$APP"; wait "$APP" 2>/dev/null || true

# Replay: a simulated day, sought by clicking the overview, then playing.
"$BIN" simulate --minutes 90 --seed 4 --out "$WORK/day.csv" >/dev/null
SPINEWATCH_HOME="$WORK/home" "$BIN" replay "$WORK/day.csv" 2>>"$WORK/app.log" &
APP=$!
WID=$(xdotool search --sync --name '^spinewatch$' | head -1)
sleep 6      # the overview scan
click 152 165 # the overview, just after the second alert
sleep 3
click 296 471 # plot span: 10 min
click 41 103  # Play
sleep 4
shot docs/replay.png
