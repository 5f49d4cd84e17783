"""The school's social media policy as plain, testable functions.

Every rule is a function over plain values (no Flask, no database) that returns
`Finding`s citing the rule (R1–R19 in PRODUCT.md) and the seed policy by its own
title. `check()` runs them all; the compose screen and `trip-companion check`
both call it.
"""

from .alt_text import check_alt_text
from .fixture import fixture_caption
from .language import check_language, check_mentions
from .length import check_length, count, limit
from .model import Draft, EventWindow, Finding, Photo, Profile, Pupil
from .names import check_names
from .personal_data import check_personal_data
from .register import RegisterIndex, compile_register
from .report import Report, check, warm_up
from .roles import (
    Override,
    action_label,
    apply_overrides,
    can_approve,
    needs_approval,
    next_step,
    override,
)
from .seeds import SEEDS
from .targeting import check_targeting
from .tone import check_tone
from .window import check_window, in_window, next_allowed

__all__ = [
    "SEEDS",
    "Draft",
    "EventWindow",
    "Finding",
    "Override",
    "Photo",
    "Profile",
    "Pupil",
    "RegisterIndex",
    "Report",
    "action_label",
    "apply_overrides",
    "can_approve",
    "check",
    "check_alt_text",
    "check_language",
    "check_length",
    "check_mentions",
    "check_names",
    "check_personal_data",
    "check_targeting",
    "check_tone",
    "check_window",
    "compile_register",
    "count",
    "fixture_caption",
    "in_window",
    "limit",
    "needs_approval",
    "next_allowed",
    "next_step",
    "override",
    "warm_up",
]
