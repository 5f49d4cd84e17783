"""The e-safety record (R15): copy, save, delete and log anything inappropriate.

An incident keeps its own copy of what happened (text, media, author, link, time), so the
record survives the content being removed from the network.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import audit
from trip_companion.models import Incident, User, utcnow

KINDS = {"post": "One of our posts", "reply": "A reply or comment on the network",
         "report": "Something reported to the school"}
ACTIONS = {"removed": "Removed from the network", "blocked": "Account blocked",
           "reported": "Reported to the network", "escalated": "Escalated (DSL / police)",
           "parents_told": "Parents or carers told", "copy_saved": "Copy saved"}


class IncidentError(ValueError):
    """An incident that can't be recorded as asked."""


def record(db: Session, by: User, *, kind: str, summary: str, copy_text: str = "",
           copy_author: str = "", copy_link: str = "", occurred_at: datetime | None = None,
           copy_media: list[str] | None = None, post_id: int | None = None) -> Incident:
    """Open an incident with the copy of what happened."""
    if kind not in KINDS:
        msg = f"Choose what this is about: {', '.join(KINDS.values())}."
        raise IncidentError(msg)
    if not summary.strip():
        msg = "Say in a sentence what happened."
        raise IncidentError(msg)
    incident = Incident(school_id=by.school_id, kind=kind, summary=summary.strip(),
                        copy_text=copy_text, copy_author=copy_author, copy_link=copy_link,
                        copy_media=json.dumps(copy_media or []), post_id=post_id,
                        occurred_at=occurred_at or utcnow(), recorded_by=by.id,
                        actions=json.dumps([{"action": "copy_saved", "at": utcnow().isoformat(),
                                             "by": by.name}]))
    db.add(incident)
    db.flush()
    audit.record(db, by.school_id, "esafety.recorded", actor=by,
                 subject=f"incident:{incident.id}", security=True,
                 details={"kind": kind, "summary": incident.summary})
    return incident


def add_action(db: Session, incident: Incident, by: User, action: str) -> None:
    """Log what was done about it (removed, blocked, reported, escalated...)."""
    _still_open(incident)
    if action not in ACTIONS:
        msg = "Choose one of the listed actions."
        raise IncidentError(msg)
    actions = json.loads(incident.actions)
    actions.append({"action": action, "at": utcnow().isoformat(), "by": by.name})
    incident.actions = json.dumps(actions)
    incident.dealt_with_by = by.id
    audit.record(db, incident.school_id, "esafety.action", actor=by,
                 subject=f"incident:{incident.id}", security=True, details={"action": action})


def close(db: Session, incident: Incident, by: User, outcome: str) -> None:
    """Record the outcome; a closed incident stays as it was written (R15, R17)."""
    _still_open(incident)
    if not outcome.strip():
        msg = "Write the outcome before closing the incident."
        raise IncidentError(msg)
    incident.outcome, incident.closed_at, incident.dealt_with_by = outcome.strip(), utcnow(), by.id
    audit.record(db, incident.school_id, "esafety.closed", actor=by,
                 subject=f"incident:{incident.id}", security=True, details={"outcome": outcome})


def _still_open(incident: Incident) -> None:
    if incident.closed_at is not None:
        msg = "This incident is closed; record a new one if something else happened."
        raise IncidentError(msg)


def for_school(db: Session, school_id: int) -> list[Incident]:
    return list(db.scalars(select(Incident).where(Incident.school_id == school_id)
                           .order_by(Incident.created_at.desc())))
