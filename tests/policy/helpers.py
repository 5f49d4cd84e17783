"""Shared values for the policy tests: a small register, times and drafts."""

from datetime import datetime
from zoneinfo import ZoneInfo

from trip_companion.policy import Draft, Photo, Pupil

LONDON = ZoneInfo("Europe/London")
THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=LONDON)  # inside the window

REGISTER = [
    Pupil("Josh", "Smith", class_name="Year 4"),
    Pupil("John", "Smith", class_name="Year 4"),
    Pupil("Amy", "Brown", class_name="Year 4", name_consent=True),
    Pupil("Will", "Jones", class_name="Year 3"),
    Pupil("May", "Li", class_name="Year 1"),
    Pupil("Grace", "Patel", class_name="Year 2"),
    Pupil("Hope", "Okafor", class_name="Year 5"),
    Pupil("Summer", "Khan", class_name="Year 6"),
    Pupil("Rose", "Evans", class_name="Year 3"),
    Pupil("Mark", "Davies", class_name="Year 5"),
    Pupil("William", "Brown", preferred_name="Bill", class_name="Year 6"),
    Pupil("Zoë", "Ødegaard", class_name="Year 2"),
    Pupil("Siobhán", "O'Brien", class_name="Year 1"),
    Pupil("Joseph", "Clarke", class_name="Owls"),
    Pupil("Peter", "Evans", class_name="Year 6"),
]


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """Return a school-local aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def draft(caption: str, **kwargs) -> Draft:
    """Return a draft with one described, face-free photo unless told otherwise."""
    kwargs.setdefault("photos", (Photo("Children building a den in the woods", False),))
    return Draft(caption, **kwargs)
