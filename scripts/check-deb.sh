#!/usr/bin/env bash
# Builds the Debian package with cargo-deb and checks that it installs every desktop file where a
# desktop looks for it; validates the .desktop and AppStream files when the validators are
# installed. Without cargo-deb it says so and exits 0 (it is a packaging check, not a test).
#
#   scripts/check-deb.sh            # builds target/debian/spinewatch_<version>_<arch>.deb
#   scripts/check-deb.sh --no-build # checks the newest .deb already built
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
fail() { echo "FAIL: $*" >&2; status=1; }

# Metadata validators (optional tools: desktop-file-utils and appstream on Debian).
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate assets/spinewatch.desktop && echo "ok: desktop-file-validate assets/spinewatch.desktop" \
        || fail "desktop-file-validate assets/spinewatch.desktop"
else
    echo "skipped desktop-file-validate (apt-get install desktop-file-utils)"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net assets/io.github.spinewatch.Spinewatch.metainfo.xml \
        && echo "ok: appstreamcli validate" || fail "appstreamcli validate"
else
    echo "skipped appstreamcli validate (apt-get install appstream)"
fi

if ! cargo deb --version >/dev/null 2>&1; then
    echo "skipped the package: cargo-deb is not installed (cargo install cargo-deb)"
    exit "$status"
fi

target_dir="${CARGO_TARGET_DIR:-target}"
if [[ "${1:-}" != "--no-build" ]]; then
    cargo deb
fi
deb="$(ls -t "$target_dir"/debian/spinewatch_*.deb 2>/dev/null | head -n 1 || true)"
[[ -n "$deb" ]] || { echo "FAIL: no .deb under $target_dir/debian" >&2; exit 1; }
echo "checking $deb"

listing="$(dpkg-deb -c "$deb")"
expect=(
    ./usr/bin/spinewatch
    ./usr/share/applications/spinewatch.desktop
    ./usr/share/icons/hicolor/scalable/apps/spinewatch.svg
    ./usr/share/metainfo/io.github.spinewatch.Spinewatch.metainfo.xml
    ./usr/lib/udev/rules.d/99-spinewatch.rules
)
for n in 16 22 24 32 48 64 128 256 512; do
    expect+=("./usr/share/icons/hicolor/${n}x${n}/apps/spinewatch.png")
done
for path in "${expect[@]}"; do
    if grep -qE "[[:space:]]${path//./\\.}\$" <<<"$listing"; then
        echo "ok: $path"
    else
        fail "$path is not in the package"
    fi
done
grep -qE '^-rwxr-xr-x .* \./usr/bin/spinewatch$' <<<"$listing" || fail "usr/bin/spinewatch is not executable"

depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
# Only the C library (and the compiler's unwinder) may be needed: no GTK, D-Bus or fontconfig.
if grep -qiE 'gtk|dbus|fontconfig|x11|wayland' <<<"$depends"; then
    fail "unexpected dependency: $depends"
fi

if [[ "$status" -eq 0 ]]; then
    echo "package ok: $deb"
fi
exit "$status"
