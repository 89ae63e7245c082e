#!/usr/bin/env bash
# Renders the committed PNGs from the SVG sources. Run after editing an SVG; needs rsvg-convert
# (Debian: apt-get install librsvg2-bin). The build never runs this: the PNGs are committed.
set -euo pipefail
cd "$(dirname "$0")"
command -v rsvg-convert >/dev/null || { echo "needs rsvg-convert: apt-get install librsvg2-bin" >&2; exit 2; }
# The app icon, at every hicolor size a desktop asks for.
for n in 16 22 24 32 48 64 128 256 512; do
    mkdir -p "icons/${n}x${n}"
    rsvg-convert -w "$n" -h "$n" icons/spinewatch.svg -o "icons/${n}x${n}/spinewatch.png"
done
# The tray's state icons, at the sizes panels use (a host scales the nearest one).
for state in upright slouched no-sensor snoozed; do
    for n in 16 22 24 32 48; do
        rsvg-convert -w "$n" -h "$n" "tray/${state}.svg" -o "tray/${state}-${n}.png"
    done
done
echo "rendered $(find icons tray -name '*.png' | wc -l) PNGs"
