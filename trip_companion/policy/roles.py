"""R16: who posts directly, who approves, and what a senior leader may override.

* Staff posts go for approval when the profile says so (the default); senior
  leaders and the headteacher post directly (seed 001: the account is
  "moderated ... by a senior leader").
* Nobody approves their own draft, and only senior leaders and the head approve.
* A warning may be overridden by a senior leader or the headteacher, with a
  reason; a block never: the post has to change.
* The button says what will really happen: "Post now", "Send for approval",
  "Schedule for Mon 08:00", or what must be fixed first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import ROLES, SENIOR_ROLES, Finding, Profile
from .window import when

if TYPE_CHECKING:
    from .report import Report


def _check_role(role: str) -> None:
    if role not in ROLES:
        msg = f"role must be one of {ROLES}, not {role!r}"
        raise ValueError(msg)


def needs_approval(author_role: str, profile: Profile) -> bool:
    """Say whether a post by this role waits for a senior leader's approval."""
    _check_role(author_role)
    return author_role not in SENIOR_ROLES and profile.staff_need_approval


def can_approve(approver_id: object, approver_role: str, author_id: object) -> bool:
    """Say whether this person may approve this author's draft (never their own)."""
    _check_role(approver_role)
    return approver_role in SENIOR_ROLES and approver_id != author_id


@dataclass(frozen=True)
class Override:
    """A senior leader's recorded decision to post despite one warning."""

    key: str  # Finding.key
    by_role: str
    reason: str
    by_id: object = None


def override(finding: Finding, by_role: str, reason: str, by_id: object = None) -> Override:
    """Record an override of a warning.

    :raises ValueError: for a block, a role below senior leader, or no reason.
    """
    _check_role(by_role)
    if finding.severity == "block":
        msg = f"{finding.rule} is a block and can't be overridden: change the post"
        raise ValueError(msg)
    if by_role not in SENIOR_ROLES:
        msg = "only a senior leader or the headteacher can override a warning"
        raise ValueError(msg)
    if not reason.strip():
        msg = "an override needs a reason"
        raise ValueError(msg)
    return Override(finding.key, by_role, reason.strip(), by_id)


def apply_overrides(findings: Iterable[Finding], overrides: Iterable[Override]) -> list[Finding]:
    """Return the findings still in the way: every block, and warnings not overridden."""
    lifted = {o.key for o in overrides if o.by_role in SENIOR_ROLES and o.reason.strip()}
    return [
        f
        for f in findings
        if f.severity == "block" or (f.severity == "warn" and f.key not in lifted)
    ]


def next_step(
    report: Report, author_role: str, profile: Profile, overrides: Iterable[Override] = ()
) -> str:
    """What the post can honestly do next: "fix", "override", "approval", "now", "schedule"."""
    remaining = apply_overrides(report.findings, overrides)
    if any(f.severity == "block" for f in remaining):
        return "fix"
    if needs_approval(author_role, profile) or (remaining and author_role not in SENIOR_ROLES):
        return "approval"
    if remaining:
        return "override"
    return "now" if report.allowed_now else "schedule"


def action_label(
    report: Report, author_role: str, profile: Profile, overrides: Iterable[Override] = ()
) -> str:
    """Return the compose button's label, which must tell the truth."""
    step = next_step(report, author_role, profile, overrides)
    remaining = apply_overrides(report.findings, overrides)
    if step == "fix":
        return f"Fix {_count(sum(f.severity == 'block' for f in remaining), 'problem')} first"
    if step == "override":
        return f"Override {_count(len(remaining), 'warning')} first"
    return {"approval": "Send for approval", "now": "Post now"}.get(
        step, f"Schedule for {when(report.next_allowed, report.checked_at)}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
