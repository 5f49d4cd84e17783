"""Demo data: a school, one account per role, a trip today, a fixture tonight, a register.

Running it again changes nothing but moving the demo events to today, so the demo always
has something happening now.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import accounts, register
from trip_companion.models import Event, EventKind, Role, School

SLUG = "demo"
PEOPLE = [
    (Role.HEADTEACHER, "head@demo.school", "Mrs Helen Carter"),
    (Role.SENIOR_LEADER, "deputy@demo.school", "Mr David Osei"),
    (Role.STAFF, "teacher@demo.school", "Ms Amara Okafor"),
    (Role.OFFICE, "office@demo.school", "Mrs Janet Price"),
]
FIRST = ["Josh", "Amy", "Oliver", "Zoë", "Muhammad", "Isla", "Noah", "Ava", "Leo", "Freya",
         "Arjun", "Grace", "Theo", "Maya", "Ethan", "Chloé", "Kacper", "Aisha", "Harry", "Lily",
         "Dylan", "Sofia", "Jack", "Emily", "Reuben", "Niamh", "Sam", "Poppy", "Tomasz", "Ruby"]
SURNAMES = ["Smith", "Jones", "Patel", "Williams", "Khan", "Brown", "Taylor", "Nowak", "Evans",
            "Wilson", "Ahmed", "Davies", "Murphy", "Roberts", "Walker", "O'Brien"]
CLASSES = ["Year 4", "Year 5", "Year 6"]


@dataclass
class DemoResult:
    school: School
    created_logins: list[tuple[str, str, str]]  # (role, email, password), only new accounts


def run(db: Session, now: datetime) -> DemoResult:
    """Create or refresh the demo school and return logins for accounts made just now."""
    school = db.scalar(select(School).where(School.slug == SLUG))
    if school is None:
        school = School(name="Hillside Primary School (demo)", slug=SLUG,
                        timezone="Europe/London")
        db.add(school)
        db.flush()
    logins, users = _people(db, school)
    _events(db, school, users, now.astimezone(ZoneInfo(school.timezone)))
    register.import_rows(db, school, _pupils())
    return DemoResult(school, logins)


def _people(db: Session, school: School):
    logins, users = [], {}
    for role, email, name in PEOPLE:
        user = accounts.find_user(db, school, email)
        if user is None:
            password = secrets.token_urlsafe(9)
            user = accounts.add_user(db, school, email=email, name=name, role=role,
                                     password=password)
            logins.append((role.label, email, password))
        users[role] = user
    return logins, users


def _events(db: Session, school: School, users, local_now: datetime) -> None:
    tz = local_now.tzinfo
    today = local_now.date()
    trip_start = datetime.combine(today, time(0, 0), tz)
    trip_end = datetime.combine(today + timedelta(days=1), time(23, 59), tz)
    fixture_start = datetime.combine(today, time(16, 30), tz)
    plans = [
        ("Year 6 residential: Kingswood outdoor centre", EventKind.RESIDENTIAL,
         trip_start, trip_end, [users[Role.STAFF], users[Role.SENIOR_LEADER]]),
        ("U11 football v Brookfield Primary", EventKind.FIXTURE,
         fixture_start, fixture_start + timedelta(hours=2, minutes=30), [users[Role.STAFF]]),
    ]
    for title, kind, start, end, staff in plans:
        event = db.scalar(select(Event).where(Event.school_id == school.id, Event.title == title))
        if event is None:
            event = Event(school_id=school.id, title=title, kind=kind)
            db.add(event)
        event.starts_at, event.ends_at = start, end
        event.lead_teacher = users[Role.STAFF]
        event.staff = staff
    db.flush()


def _pupils() -> list[register.Row]:
    rows = []
    for i, first in enumerate(FIRST):
        rows.append(register.Row(
            first_name=first, surname=SURNAMES[i % len(SURNAMES)],
            preferred_name="Mo" if first == "Muhammad" else "",
            class_name=CLASSES[i % len(CLASSES)],
            photo_consent=i % 5 != 3, name_consent=i % 3 == 0))
    return rows
