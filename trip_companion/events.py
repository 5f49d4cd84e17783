"""Events: the trip or fixture a teacher is on now, and what's coming up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trip_companion.models import Event, Role, User, event_staff


def visible_to(user: User):
    """Events a user may open: leadership and office see the school's, staff their own."""
    query = select(Event).where(Event.school_id == user.school_id)
    if user.role == Role.STAFF:
        mine = select(event_staff.c.event_id).where(event_staff.c.user_id == user.id)
        query = query.where(or_(Event.lead_teacher_id == user.id, Event.id.in_(mine)))
    return query


def on_now(db: Session, user: User, now: datetime) -> list[Event]:
    """Events happening at ``now`` that the user is on (or oversees)."""
    query = visible_to(user).where(Event.starts_at <= now, Event.ends_at >= now)
    return list(db.scalars(query.order_by(Event.starts_at)))


def coming_up(db: Session, user: User, now: datetime, days: int = 14) -> list[Event]:
    """Events starting within ``days`` days."""
    query = visible_to(user).where(Event.starts_at > now,
                                   Event.starts_at <= now + timedelta(days=days))
    return list(db.scalars(query.order_by(Event.starts_at)))


def find(db: Session, user: User, event_id: int) -> Event | None:
    """The event with this id if the user may open it."""
    return db.scalar(visible_to(user).where(Event.id == event_id))
