#!/usr/bin/env bash
# Prepare a Debian 12 machine (root, no sound card, no display) to build and test the softphone:
# Debian packages (installed only when missing), then .venv with the project and its test extras.
# Idempotent: a second run installs nothing and only re-runs pip when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- Debian packages --------------------------------------------------------------------------
# Every name below was checked with `apt-cache policy` on Debian 12 (bookworm).
packages=(
    sip-tester           # SIPp: scripted SIP peers for integration tests
    baresip              # an independent SIP user agent for interop tests
    sox                  # audio generation and analysis in tests
    libsndfile1          # soundfile (recordings)
    libportaudio2        # sounddevice
    pulseaudio           # private null-sink sound server for headless audio tests
    pulseaudio-utils     # pacat / parec / pactl
    libasound2-plugins   # ALSA "pulse" device
    xvfb                 # virtual display for the real-window UI test
    xauth                # xvfb-run needs it
    dbus                 # dbus-run-session for a private session bus
    gnome-keyring        # Secret Service backend for the keyring tests
    libsecret-tools      # secret-tool, to inspect the keyring by hand
    libegl1 libgl1 libfontconfig1 libdbus-1-3        # Qt 6 runtime
    libxkbcommon0 libxkbcommon-x11-0                 # Qt 6 xcb platform plugin
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
    libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
    git
)
if ! command -v python3 >/dev/null 2>&1; then
    packages+=(python3 python3-venv)
elif [[ ! -x .venv/bin/python ]] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3-venv)     # Debian ships venv's ensurepip separately
fi

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${packages[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
    log "installing Debian packages: ${missing[*]}"
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${missing[*]} first"
        sudo=(sudo -n)
    fi
    "${sudo[@]}" apt-get update -q </dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" </dev/null
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || die "Debian package $pkg did not install"
    done
else
    log "Debian packages: all present"
fi

# --- Python virtual environment ---------------------------------------------------------------
command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH"
py_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $py_version == 3.11 ]] ||
    die "python3 on PATH ($(command -v python3)) is Python $py_version; this project needs 3.11"

venv_version=""
if [[ -x .venv/bin/python ]]; then
    venv_version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' \
        2>/dev/null || true)
fi
if [[ $venv_version != 3.11 ]]; then
    if [[ -e .venv ]]; then
        log "removing unusable .venv (Python '${venv_version:-none}')"
        rm -rf .venv
    fi
    log "creating .venv with $(command -v python3) (Python $py_version)"
    python3 -m venv .venv || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    .venv/bin/python -m pip install --quiet --upgrade pip </dev/null
fi

want_hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
have_hash=$(cat .venv/.installed-hash 2>/dev/null || true)
if [[ $want_hash != "$have_hash" ]]; then
    log "installing the project and its test extras into .venv"
    rm -f .venv/.installed-hash
    .venv/bin/python -m pip install --quiet -e '.[test]' </dev/null
    printf '%s\n' "$want_hash" >.venv/.installed-hash
else
    log ".venv is up to date with pyproject.toml"
fi
log "done"
