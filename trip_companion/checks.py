"""The policy checks for the command line: ``trip-companion check "caption"``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from trip_companion import compose, policy, profile
from trip_companion.models import Event, School, utcnow


def run(db: Session, school: School, caption: str, *, at_text: str | None = None,
        event_id: int | None = None, network: str | None = None, role: str = "staff",
        urgent_reason: str | None = None) -> policy.Report:
    """Check one caption as the school's profile and register say."""
    zone = ZoneInfo(school.timezone)
    at = _parse_time(at_text, zone) if at_text else utcnow().astimezone(zone)
    event = None
    if event_id is not None:
        event = db.get(Event, event_id)
        if event is None or event.school_id != school.id:
            msg = f"There is no event {event_id} at {school.name}."
            raise ValueError(msg)
    draft = policy.Draft(caption=caption, event=compose.event_window(event),
                         urgent_reason=urgent_reason, author_role=role)
    settings = profile.load(db, school).policy(school.timezone)
    return policy.check(draft, register=compose.register(db, school.id), profile=settings,
                        at=at, networks=[network] if network else None)


def _parse_time(text: str, zone: ZoneInfo) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"--at {text!r} is not an ISO 8601 time like 2026-11-30T08:00"
        raise ValueError(msg) from exc
    return at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)


def describe(report: policy.Report) -> str:
    """Plain lines: each finding, then when the post may go out."""
    lines = [f"{f.severity.upper():5} {f.rule}: {f.message}"
             + (f" (try: {f.fix})" if f.fix else "") for f in report.findings]
    when = "now" if report.allowed_now else report.next_allowed.strftime("%a %d %b %Y %H:%M")
    lines.append(f"May go out: {when}" + (" — but fix the blocks first" if report.blocking
                                           else ""))
    return "\n".join(lines)
