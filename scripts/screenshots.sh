#!/usr/bin/env bash
# Refresh the window's screenshots in docs/images/ from a real demo call on a virtual display,
# and the QA view's (scripts/qa_screenshot.py) on that call's recording:
#   bash scripts/screenshots.sh        (needs Xvfb: bash scripts/setup.sh --test)
# Starts Xvfb on a free display, runs `softphone demo --auto` there (the real X11 window, not
# Qt's offscreen platform), copies the screenshots taken during the disclosure, on hold and after
# the call to docs/images/ (or SCREENSHOTS_DIR), and stops Xvfb. PYTHON picks the interpreter
# (default .venv's).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'screenshots: error: %s\n' "$*" >&2; exit 1; }

python=${PYTHON:-.venv/bin/python}
[[ -x $python ]] || die "$python not found: run 'bash scripts/setup.sh' first, or set PYTHON"
command -v Xvfb >/dev/null 2>&1 || die "Xvfb not found: run 'bash scripts/setup.sh --test'"

number=90
while [[ -e /tmp/.X11-unix/X$number || -e /tmp/.X$number-lock ]]; do
    number=$((number + 1))
done
folder=$(mktemp -d /tmp/softphone-screenshots.XXXXXX)
Xvfb ":$number" -screen 0 1280x800x24 -nolisten tcp >"$folder/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null; wait "$xvfb" 2>/dev/null; rm -rf "$folder"' EXIT
for _ in $(seq 50); do
    [[ -S /tmp/.X11-unix/X$number ]] && break
    kill -0 "$xvfb" 2>/dev/null || die "Xvfb did not start: $(cat "$folder/xvfb.log")"
    sleep 0.1
done
[[ -S /tmp/.X11-unix/X$number ]] || die "Xvfb :$number did not come up within 5 s"

env -u WAYLAND_DISPLAY DISPLAY=":$number" QT_QPA_PLATFORM=xcb PYTHONPATH="$PWD" \
    "$python" -m softphone.cli demo --auto --folder "$folder/demo" </dev/null
out=${SCREENSHOTS_DIR:-docs/images}
mkdir -p "$out"
for name in disclosure on-hold after-call; do
    cp "$folder/demo/screenshots/window-$name.png" "$out/window-$name.png"
    printf '%s/window-%s.png\n' "$out" "$name"
done
env -u WAYLAND_DISPLAY DISPLAY=":$number" QT_QPA_PLATFORM=xcb PYTHONPATH="$PWD" \
    "$python" scripts/qa_screenshot.py "$folder/demo/recordings" "$out/qa-view.png" </dev/null
