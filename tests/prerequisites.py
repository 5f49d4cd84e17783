"""What a test needs from the machine: a free loopback port for a real service, and one
verdict when a part is missing: skip on a developer machine, fail in CI (``CI=true``,
which ``.ci/run`` sets), where everything must be tested."""

from __future__ import annotations

import os
import socket
from typing import NoReturn

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def missing(reason: str, *, required: bool = False) -> NoReturn:
    """Skip with ``reason``; fail with it in CI, or where the caller says it is required."""
    if required or os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
