"""A real registrar for outage tests: Kamailio (Debian) on 127.0.0.1, bindings in memory only.

It challenges REGISTER with digest for one fixed user, keeps bindings in memory (a restart
forgets them, as a registrar without a database does), and answers 503 to every REGISTER while
its `busy` shared variable is 1 (set at run time through its control socket, or at start).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.integration.ports import free_udp_port

__all__ = ["Kamailio", "kamailio_binary"]

_CONFIG = """\
#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "ctl.so"
loadmodule "xlog.so"
loadmodule "textops.so"

modparam("ctl", "binrpc", "unix:{control}")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 10)
modparam("pv", "shvset", "busy=i:{busy}")

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (is_method("REGISTER")) {{
        if ($shv(busy) == 1) {{
            xlog("L_NOTICE", "REGISTER from $fu answered 503 (busy)\\n");
            sl_send_reply("503", "Service Unavailable");
            exit;
        }}
        if ($au != "{user}" || !pv_www_authenticate("$td", "{password}", "0")) {{
            www_challenge("$td", "0");
            exit;
        }}
        consume_credentials();
        if (!save("location")) {{
            sl_reply_error();
        }}
        exit;
    }}
    if (is_method("OPTIONS")) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    sl_send_reply("405", "Method Not Allowed");
}}
"""

_READY_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 10.0


def kamailio_binary() -> str | None:
    """The kamailio executable, or None when the Debian package is not installed."""
    return shutil.which("kamailio") or (
        "/usr/sbin/kamailio" if Path("/usr/sbin/kamailio").exists() else None
    )


class Kamailio:
    """Kamailio as a registrar on one free UDP+TCP port of 127.0.0.1; `stop()` always ends it."""

    def __init__(self, workdir: Path, *, user: str, password: str, port: int | None = None) -> None:
        binary = kamailio_binary()
        if binary is None:
            raise FileNotFoundError("kamailio is not installed (apt-get install kamailio)")
        self._binary = binary
        self._dir = workdir
        self._dir.mkdir(parents=True, exist_ok=True)
        self.user = user
        self._password = password
        self.port = port if port is not None else free_udp_port()
        # A unix socket path must stay under 108 bytes: pytest's tmp_path can be longer.
        self._control_dir = Path(tempfile.mkdtemp(prefix="kam-", dir="/tmp"))
        self._control = self._control_dir / "ctl"
        self._log = self._dir / "kamailio.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def uri(self, transport: str = "udp") -> str:
        """The registrar's SIP URI for an account's policy."""
        return f"sip:127.0.0.1:{self.port};transport={transport}"

    @property
    def running(self) -> bool:
        """Whether the registrar process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, *, busy: bool = False) -> None:
        """Write the config and start Kamailio; return once its control socket answers."""
        if self.running:
            raise RuntimeError("kamailio is already running")
        config = self._dir / "kamailio.cfg"
        config.write_text(
            _CONFIG.format(
                port=self.port,
                control=self._control,
                busy=int(busy),
                user=self.user,
                password=self._password,
            ),
            encoding="utf-8",
        )
        self._control.unlink(missing_ok=True)
        runtime = self._dir / "run"
        runtime.mkdir(exist_ok=True)
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [self._binary, "-DD", "-E", "-f", str(config), "-Y", str(runtime),
                 "-w", str(self._dir), "-m", "32", "-M", "8"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.starts += 1
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"kamailio exited at start:\n{self.log_tail()}")
            if self._control.exists() and self._rpc("core.version", check=False).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"kamailio did not start within {_READY_TIMEOUT_S:g} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """End Kamailio (SIGTERM, then SIGKILL) and its children; nothing if it is not running."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)

    def restart(self, *, busy: bool = False) -> None:
        """Stop and start again: every binding is forgotten."""
        self.stop()
        self.start(busy=busy)

    def set_busy(self, busy: bool) -> None:
        """From now on answer every REGISTER with 503 (True) or serve it again (False)."""
        self._rpc("pv.shvSet", "busy", "int", str(int(busy)))

    def contacts(self, aor: str) -> list[str]:
        """The Contact URIs bound to `aor` (user@domain) right now; empty when there is none."""
        done = self._rpc("ul.lookup", "location", aor, check=False)
        if done.returncode != 0:
            return []  # "AOR not found"
        return [
            line.split(":", 1)[1].strip()
            for line in done.stdout.splitlines()
            if line.strip().startswith("Address:")
        ]

    def _rpc(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["kamcmd", "-s", f"unix:{self._control}", *command],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise RuntimeError(f"kamcmd {' '.join(command)} failed: {done.stdout}{done.stderr}")
        return done

    def log_tail(self, lines: int = 40) -> str:
        """The last lines Kamailio logged, for failure messages."""
        if not self._log.exists():
            return ""
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self._control_dir, ignore_errors=True)
