"""Run every rule over a draft and say whether, and when, it can go.

`allowed_now` and `next_allowed` are about time only (R1): the findings say
what else stands in the way, and `blocking` is true when any finding is a
block. The compose screen calls this on every change, so heavy libraries load
once (see `warm_up`) and the register is indexed once per register.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .alt_text import check_alt_text
from .language import check_language, check_mentions
from .length import check_length, network_name
from .model import SEVERITIES, Draft, Finding, Profile, Pupil
from .names import check_names
from .personal_data import check_personal_data
from .register import RegisterIndex, compile_register
from .spelling import is_known, speller
from .targeting import check_targeting
from .tone import check_tone, is_profane
from .window import allowed_at, check_window, next_allowed

_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Report:
    """What the checks found, and when the draft may be posted."""

    findings: tuple[Finding, ...]
    allowed_now: bool
    next_allowed: datetime  # aware, in the school's time zone
    checked_at: datetime

    @property
    def blocking(self) -> bool:
        """True when any finding is a block, which no override can lift."""
        return any(f.severity == "block" for f in self.findings)

    def to_dict(self) -> dict:
        """Return the JSON-ready shape shared by the compose screen and the CLI."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "allowed_now": self.allowed_now,
            "next_allowed": self.next_allowed.isoformat(),
        }

    def to_json(self) -> str:
        """Return `to_dict()` as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def check(
    draft: Draft,
    *,
    register: RegisterIndex | Iterable[Pupil],
    profile: Profile,
    at: datetime,
    networks: Iterable[str] | None = None,
) -> Report:
    """Check a draft against every rule for posting at `at`.

    :raises ValueError: for a naive `at` or an unknown network.
    """
    index = compile_register(register)
    chosen = tuple(network_name(n) for n in (profile.networks if networks is None else networks))
    findings = (
        check_window(draft, profile, at)
        + check_names(draft, index, profile)
        + check_targeting(draft, index, profile)
        + check_mentions(draft, profile)
        + check_language(draft, index, profile)
        + check_tone(draft, profile)
        + check_personal_data(draft, profile)
        + check_length(draft, profile, chosen)
        + check_alt_text(draft)
    )
    findings.sort(key=lambda f: (_ORDER[f.severity], f.field != "caption", f.field, f.start or 0))
    return Report(
        findings=tuple(findings),
        allowed_now=allowed_at(at, profile, draft),
        next_allowed=next_allowed(at, profile, draft),
        checked_at=at.astimezone(profile.tz),
    )


def warm_up() -> None:
    """Load the dictionary, VADER and the word lists now, not on a teacher's first keystroke."""
    speller()
    is_known("school")
    is_profane("school")
    check_tone(Draft("A lovely day."), Profile())
