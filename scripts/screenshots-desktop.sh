#!/usr/bin/env bash
# Takes the README's desktop screenshots under Xvfb with Debian-packaged desktop parts:
# docs/tray-menu.png (the tray icon's menu in the XFCE panel's status tray, a StatusNotifier
# host) and docs/notification.png (the demo's slouch alert as xfce4-notifyd shows it, with its
# "Snooze 30 min" and "Sitting up" buttons). Everything runs on a private session bus.
#
# Needs (Debian): apt-get install -y xvfb openbox xdotool imagemagick xfce4-panel xfce4-notifyd dbus
# Usage: cargo build && BIN=target/debug/spinewatch scripts/screenshots-desktop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/spinewatch}
DISP=${DISP:-:81}
OUT=${OUT:-docs}
WORK=${WORK:-$(mktemp -d)}
NOTIFYD=${NOTIFYD:-/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd}

# A panel of its own (XDG_CONFIG_HOME, set before the bus starts so the activated xfconfd sees it
# too) so xfce4-panel skips its first-start dialog: the status tray (StatusNotifier items and
# XEmbed icons) and a clock, across the top.
export XDG_CONFIG_HOME=${XDG_CONFIG_HOME_SHOTS:-$WORK/config}
if [ -z "${SPINEWATCH_SHOTS_IN_BUS:-}" ]; then
    Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
    XVFB=$!
    trap 'kill $XVFB 2>/dev/null || true' EXIT
    sleep 1
    DISPLAY=$DISP SPINEWATCH_SHOTS_IN_BUS=1 WORK=$WORK BIN=$BIN OUT=$OUT \
        XDG_CONFIG_HOME_SHOTS=$XDG_CONFIG_HOME dbus-run-session -- "$0"
    exit
fi

export DISPLAY=$DISP
mkdir -p "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml"
cat >"$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="icon-size" type="uint" value="22"/>
      <property name="size" type="uint" value="30"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
        <value type="int" value="3"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
    <property name="plugin-3" type="string" value="clock"/>
  </property>
</channel>
XML
cleanup() { kill ${APP:-} ${PANEL:-} ${NOTIFY:-} ${WM:-} 2>/dev/null || true; }
trap cleanup EXIT
openbox >"$WORK/wm.log" 2>&1 &
WM=$!
xfce4-panel >"$WORK/panel.log" 2>&1 &
PANEL=$!
"$NOTIFYD" >"$WORK/notifyd.log" 2>&1 &
NOTIFY=$!
sleep 4
mkdir -p "$OUT"

mkdir -p "$WORK/home"
SPINEWATCH_HOME="$WORK/home" "$BIN" 2>"$WORK/app.log" &
APP=$!
WID=$(xdotool search --sync --name '^spinewatch$' | head -1)
# The demo's held slouch alerts at about 169 s: the notification with its buttons.
sleep "${ALERT_AT_S:-175}"
import -window root "$WORK/alert.png"
# xfce4-notifyd puts it at the top right, under the panel.
convert "$WORK/alert.png" -crop 450x150+830+36 +repage "$OUT/notification.png"
echo "wrote $OUT/notification.png"
# Answer it with its "Sitting up" button: the window's banner goes (the engine got the command).
xdotool mousemove "${SITTING_UP_X:-1187}" "${SITTING_UP_Y:-135}" click 1
sleep 3
import -window root "$WORK/answered.png"
# The tray icon's menu (right click on the status tray's icon).
xdotool mousemove "${TRAY_X:-1197}" "${TRAY_Y:-15}" click 3
sleep 2
import -window root "$WORK/menu.png"
convert "$WORK/menu.png" -crop 520x260+760+0 +repage "$OUT/tray-menu.png"
echo "wrote $OUT/tray-menu.png"
if [ -n "${KEEP:-}" ]; then cp "$WORK"/*.png "$KEEP"/; fi
