"""Plain input and output values for the policy checks.

No Flask and no database here: the views and the CLI build these from whatever
they hold, so every rule can be tested with literals.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

ROLES = ("staff", "senior_leader", "headteacher")
SENIOR_ROLES = frozenset({"senior_leader", "headteacher"})
NAMES_MODES = ("never", "initials", "first_names_with_consent")
SEVERITIES = ("block", "warn", "info")
HOLIDAY_REGIONS = {
    "England and Wales": "ENG",
    "England": "ENG",
    "Wales": "WLS",
    "Scotland": "SCT",
    "Northern Ireland": "NIR",
    "": None,
}


@dataclass(frozen=True)
class Pupil:
    """One row of the register; consents default to the strictest answer."""

    first_name: str
    surname: str
    preferred_name: str | None = None
    class_name: str = ""
    photo_consent: bool = False
    name_consent: bool = False


@dataclass(frozen=True)
class Profile:
    """A school's reading of the policies; the defaults are the strictest seed."""

    timezone: str = "Europe/London"
    window_start: time = time(8, 0)
    window_end: time = time(18, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday is 0
    names_mode: str = "never"
    staff_need_approval: bool = True
    networks: tuple[str, ...] = ("feed",)
    term_dates: tuple[tuple[date, date], ...] = ()  # inclusive (first day, last day)
    holiday_region: str = "England and Wales"
    vocabulary: frozenset[str] = frozenset()  # words and places never flagged as misspelt
    public_contacts: frozenset[str] = frozenset()  # the school's own published phone/email
    allowed_mentions: frozenset[str] = frozenset()  # handles, without "@"
    length_limits: tuple[tuple[str, int], ...] = ()  # e.g. (("mastodon", 1000),)
    tone_threshold: float = -0.5  # VADER compound score below which tone is flagged

    def __post_init__(self) -> None:
        _freeze(self, "weekdays", frozenset)
        _freeze(self, "networks", tuple)
        _freeze(self, "vocabulary", frozenset)
        _freeze(self, "public_contacts", frozenset)
        _freeze(self, "allowed_mentions", frozenset)
        terms = tuple(sorted((tuple(t) for t in self.term_dates), key=lambda t: t[0]))
        object.__setattr__(self, "term_dates", terms)
        limits = self.length_limits
        if isinstance(limits, Mapping):
            limits = limits.items()
        object.__setattr__(self, "length_limits", tuple(sorted(limits)))
        self._validate()

    def _validate(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if self.names_mode not in NAMES_MODES:
            msg = f"names_mode must be one of {NAMES_MODES}, not {self.names_mode!r}"
            raise ValueError(msg)
        if not self.window_start < self.window_end:
            msg = "window_start must be before window_end"
            raise ValueError(msg)
        if self.holiday_region not in HOLIDAY_REGIONS:
            msg = f"holiday_region must be one of {sorted(HOLIDAY_REGIONS)}"
            raise ValueError(msg)
        if any(start > end for start, end in self.term_dates):
            msg = "each term must start on or before its last day"
            raise ValueError(msg)

    @property
    def tz(self) -> ZoneInfo:
        """The school's time zone."""
        return ZoneInfo(self.timezone)


def _freeze(obj: object, name: str, kind: type) -> None:
    """Let callers pass lists while keeping the profile hashable (it keys caches)."""
    value = getattr(obj, name)
    if not isinstance(value, kind):
        object.__setattr__(obj, name, kind(value))


@dataclass(frozen=True)
class EventWindow:
    """A school event (trip, residential, fixture, performance) a post belongs to."""

    kind: str
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            msg = "event times must be timezone-aware"
            raise ValueError(msg)
        if self.ends_at <= self.starts_at:
            msg = "an event must end after it starts"
            raise ValueError(msg)

    def covers(self, at: datetime) -> bool:
        """Say whether `at` falls within the event (both ends included)."""
        return self.starts_at <= at <= self.ends_at


@dataclass(frozen=True)
class Photo:
    """A photo as the rules see it; shows_faces None means nobody has checked."""

    alt_text: str | None = None
    shows_faces: bool | None = None


@dataclass(frozen=True)
class Draft:
    """A post being composed."""

    caption: str
    photos: tuple[Photo, ...] = ()
    event: EventWindow | None = None
    urgent_reason: str | None = None
    author_role: str = "staff"

    def __post_init__(self) -> None:
        _freeze(self, "photos", tuple)
        if self.author_role not in ROLES:
            msg = f"author_role must be one of {ROLES}, not {self.author_role!r}"
            raise ValueError(msg)

    def fields(self) -> Iterable[tuple[str, str]]:
        """Yield (field name, text) for the caption and each photo's alt text."""
        yield "caption", self.caption
        for i, photo in enumerate(self.photos):
            yield f"alt:{i}", photo.alt_text or ""

    @property
    def faces_possible(self) -> bool:
        """True when any photo shows, or may show, a face (unknown counts as yes)."""
        return any(p.shows_faces is not False for p in self.photos)


@dataclass(frozen=True)
class Finding:
    """One thing a rule noticed, in words a teacher understands."""

    rule: str
    seed: str
    severity: str
    message: str
    start: int | None = None
    end: int | None = None
    fix: str | None = None
    field: str = "caption"  # "caption" or "alt:<photo index>"

    @property
    def key(self) -> str:
        """Identify this finding stably (same draft, same key), so an override can name it."""
        digest = zlib.crc32(self.message.encode()) & 0xFFFF
        return f"{self.rule}:{self.field}:{self.start}-{self.end}:{digest:04x}"

    def to_dict(self) -> dict:
        """Return the JSON shape the compose screen and the CLI use."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "fix": self.fix,
            "field": self.field,
            "seed": self.seed,
        }
