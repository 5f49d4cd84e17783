"""The PDS tests skip on a developer machine without the install, and fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.publish import pds


@pytest.fixture
def not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(pds, "HERE", tmp_path)
    reason = pds.missing()
    assert reason is not None and "setup.sh" in reason
    return reason


@pytest.mark.parametrize(("env", "outcome"), [
    ({}, pytest.skip.Exception),
    ({"CI": "true"}, pytest.fail.Exception),
    ({"TRIP_COMPANION_REQUIRE_PDS": "1"}, pytest.fail.Exception),
    ({"CI": "false"}, pytest.skip.Exception),
])
def test_missing_pds_skips_or_fails(not_installed: str, monkeypatch: pytest.MonkeyPatch,
                                    env: dict[str, str], outcome: type[BaseException]):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TRIP_COMPANION_REQUIRE_PDS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(outcome, match=r"setup\.sh"):
        pds.skip_or_fail(not_installed)
