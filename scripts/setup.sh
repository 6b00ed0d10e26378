#!/usr/bin/env bash
# Prepare a Debian 12 machine (root, no sound card, no display) to run the softphone:
#   bash scripts/setup.sh          the Debian packages it needs, and .venv with the application
#                                  only (no test tools: a runtime install never has them)
#   bash scripts/setup.sh --test   also what the tests need: more Debian packages (SIPp, baresip,
#                                  PulseAudio, Xvfb, GNOME Keyring) and .venv-test, a separate
#                                  environment with the application and its test extras
# Idempotent: a second run installs nothing and only re-runs pip when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

with_tests=0
for arg in "$@"; do
    case $arg in
        --test) with_tests=1 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $arg (use --test to set up the tests too)" ;;
    esac
done

# --- Debian packages --------------------------------------------------------------------------
# Every name below was checked with `apt-cache policy` on Debian 12 (bookworm).
packages=(
    libsndfile1          # soundfile (recordings, disclosure audio)
    libportaudio2        # sounddevice (the headset)
    libasound2-plugins   # ALSA "pulse" device
    libegl1 libgl1 libfontconfig1 libdbus-1-3        # Qt 6 runtime
    libxkbcommon0 libxkbcommon-x11-0                 # Qt 6 xcb platform plugin
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
    libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
)
test_packages=(
    sip-tester           # SIPp: scripted SIP peers for integration tests
    kamailio             # a real registrar that restarts, goes away, answers 503 (outage tests)
    baresip              # an independent SIP user agent for interop tests
    sox                  # audio generation and analysis in tests
    pulseaudio           # private null-sink sound server for headless audio tests
    pulseaudio-utils     # pacat / parec / pactl
    xvfb                 # virtual display for the real-window UI test
    xauth                # xvfb-run needs it
    dbus                 # dbus-run-session for a private session bus
    gnome-keyring        # Secret Service backend for the keyring tests
    libsecret-tools      # secret-tool, to inspect the keyring by hand
    binutils             # objdump: PyInstaller reads the bundle's libraries (packaging/build.sh)
    patchelf             # packaging/build.sh drops build-machine library paths from the bundle
    lintian              # tests/packaging checks the .deb with it
    faketime             # a workstation clock S3 rejects as skewed, in the archive tests
    git
)
if ((with_tests)); then
    packages+=("${test_packages[@]}")
fi
if ! command -v python3 >/dev/null 2>&1; then
    packages+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
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

# --- Python virtual environments -------------------------------------------------------------
command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH"
py_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $py_version == 3.11 ]] ||
    die "python3 on PATH ($(command -v python3)) is Python $py_version; this project needs 3.11"

# make_venv DIR SPEC: DIR holds a Python 3.11 venv with `pip install -e SPEC`, re-installed
# only when pyproject.toml (or SPEC) changed since the last install.
make_venv() {
    local dir=$1 spec=$2 version=""
    if [[ -x $dir/bin/python ]]; then
        version=$("$dir/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' \
            2>/dev/null || true)
    fi
    if [[ $version == 3.11 && $spec == . ]] && "$dir/bin/python" -c \
        'import importlib.util as u, sys; sys.exit(not any(u.find_spec(m) for m in ("pytest", "keyrings")))' \
        2>/dev/null; then
        log "$dir holds test tools from an older set-up; building it again without them"
        version=""
    fi
    if [[ $version != 3.11 ]]; then
        if [[ -e $dir ]]; then
            log "removing $dir (Python '${version:-none}')"
            rm -rf "$dir"
        fi
        log "creating $dir with $(command -v python3) (Python $py_version)"
        python3 -m venv "$dir" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
        "$dir/bin/python" -m pip install --quiet --upgrade pip </dev/null
    fi
    local want have
    want=$( (cat pyproject.toml; printf '%s\n' "$spec") | sha256sum | cut -d' ' -f1)
    have=$(cat "$dir/.installed-hash" 2>/dev/null || true)
    if [[ $want != "$have" ]]; then
        log "installing $spec into $dir"
        rm -f "$dir/.installed-hash"
        "$dir/bin/python" -m pip install --quiet -e "$spec" </dev/null
        printf '%s\n' "$want" >"$dir/.installed-hash"
    else
        log "$dir is up to date with pyproject.toml"
    fi
}

make_venv .venv .                      # the application only: what an agent's workstation runs
if ((with_tests)); then
    make_venv .venv-test '.[test]'     # the application and the test extras, kept apart
fi
log "done"
