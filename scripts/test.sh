#!/usr/bin/env bash
# Run every check of the project: ruff lint, ruff format check, mypy, pytest (arguments are passed
# to pytest). Everything runs in a throwaway HOME and XDG_RUNTIME_DIR, on a private D-Bus session
# with an unlocked gnome-keyring (a real Secret Service), with Qt offscreen and no stdin.
# Exits non-zero if any step fails; pytest collecting no test (exit 5) is a failure.
# The tools come from .venv-test (`bash scripts/setup.sh --test`), never from the runtime .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'test.sh: error: %s\n' "$*" >&2; exit 1; }

if [[ -z ${_SOFTPHONE_TEST_INNER:-} ]]; then
    # --- outer: private folders, then re-run this script inside a private D-Bus session ---
    [[ -x .venv-test/bin/pytest ]] ||
        die ".venv-test is missing: run 'bash scripts/setup.sh --test' first"
    for tool in dbus-run-session gnome-keyring-daemon; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run 'bash scripts/setup.sh --test'"
    done
    # Under /tmp, not $TMPDIR: unix socket paths below it (keyring, PulseAudio) must stay short.
    scratch=$(mktemp -d /tmp/softphone-test.XXXXXX)
    trap 'rm -rf "$scratch"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$scratch/home" "$scratch/runtime"
    chmod 700 "$scratch/home" "$scratch/runtime"
    export HOME="$scratch/home"
    export XDG_RUNTIME_DIR="$scratch/runtime"
    export XDG_CONFIG_HOME="$HOME/.config"
    export XDG_DATA_HOME="$HOME/.local/share"
    export XDG_CACHE_HOME="$HOME/.cache"
    export XDG_STATE_HOME="$HOME/.local/state"
    export QT_QPA_PLATFORM=offscreen
    export PYTHONDONTWRITEBYTECODE=1
    unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL
    export _SOFTPHONE_TEST_INNER=1
    status=0
    dbus-run-session -- bash scripts/test.sh "$@" </dev/null || status=$?
    exit "$status"
fi

# --- inner: on the private session bus ------------------------------------------------------
printf '\n===== [setup] unlocking a throwaway gnome-keyring on a private D-Bus session =====\n'
keyring_pw=$(.venv-test/bin/python -c 'import secrets; print(secrets.token_hex(16))')
printf '%s' "$keyring_pw" |
    gnome-keyring-daemon --unlock --components=secrets >/dev/null ||
    die "gnome-keyring-daemon --unlock failed"
unset keyring_pw
.venv-test/bin/python - <<'PY' || die "no working Secret Service on the private D-Bus session"
from softphone.config.credentials import backend_name, secure_backend

backend = secure_backend()
name = backend_name(backend)
assert name == "keyring.backends.SecretService.Keyring", f"keyring picked {name}"
backend.set_password("softphone-test.sh", "probe", "x")
assert backend.get_password("softphone-test.sh", "probe") == "x"
backend.delete_password("softphone-test.sh", "probe")
print(f"keyring backend: {name}")
PY

failed=()
step() {
    local name=$1
    shift
    local shown="$*"
    printf '\n===== [%s] %s =====\n' "$name" "${shown/#run_pytest/.venv-test/bin/pytest}"
    local rc=0
    "$@" </dev/null || rc=$?
    if ((rc != 0)); then
        printf '===== [%s] FAILED (exit %d) =====\n' "$name" "$rc" >&2
        failed+=("$name (exit $rc)")
    fi
    return 0
}

run_pytest() {
    local rc=0
    # The slowest tests are listed at the end: where the run's time goes, for whoever shortens it.
    .venv-test/bin/pytest --durations=15 "$@" || rc=$?
    if ((rc == 5)); then
        printf 'test.sh: pytest collected no tests: that is a failure\n' >&2
    fi
    return "$rc"
}

step "ruff check" .venv-test/bin/ruff check .
step "ruff format" .venv-test/bin/ruff format --check .
step "mypy" .venv-test/bin/mypy
step "pytest" run_pytest "$@"

if ((${#failed[@]} > 0)); then
    printf '\ntest.sh: %d step(s) failed: %s\n' "${#failed[@]}" "$(IFS=,; echo "${failed[*]}")" >&2
    exit 1
fi
