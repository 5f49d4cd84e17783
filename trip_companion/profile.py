"""A school's policy profile, stored as JSON, with the strictest reading as every default."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from trip_companion.models import School, SchoolProfile, User, utcnow
from trip_companion.policy import Profile as PolicyProfile

NETWORKS = ("feed", "bluesky", "mastodon", "x", "facebook")


@dataclass(frozen=True)
class Settings:
    """Everything the headteacher sets: the policy rules plus how the app keeps things."""

    window_start: str = "08:00"
    window_end: str = "18:00"
    names_mode: str = "never"
    staff_need_approval: bool = True
    networks: tuple[str, ...] = ("feed",)
    term_dates: tuple[tuple[str, str], ...] = ()
    vocabulary: tuple[str, ...] = ()
    public_contacts: tuple[str, ...] = ()
    allowed_mentions: tuple[str, ...] = ()
    retention_days: int = 30          # clean copies on the server after posting
    device_lifetime_weeks: int = 15   # about a term (R13: devices expire unless renewed)
    leaders_read_audit: bool = False  # senior leaders may read non-security audit entries
    credential_rotation_weeks: int = 13  # R12: changed termly
    extra: dict = field(default_factory=dict)

    def policy(self, timezone: str) -> PolicyProfile:
        """The plain profile the rule functions take."""
        return PolicyProfile(
            timezone=timezone, window_start=time.fromisoformat(self.window_start),
            window_end=time.fromisoformat(self.window_end), names_mode=self.names_mode,
            staff_need_approval=self.staff_need_approval, networks=tuple(self.networks),
            term_dates=tuple((date.fromisoformat(a), date.fromisoformat(b))
                             for a, b in self.term_dates),
            vocabulary=frozenset(self.vocabulary),
            public_contacts=frozenset(self.public_contacts),
            allowed_mentions=frozenset(self.allowed_mentions))

    @property
    def device_lifetime(self) -> timedelta:
        return timedelta(weeks=self.device_lifetime_weeks)


FIELDS = set(Settings.__dataclass_fields__) - {"extra"}


def load(db: Session, school: School) -> Settings:
    """The school's settings; a missing row or key means the strict default."""
    row = db.get(SchoolProfile, school.id)
    stored = json.loads(row.settings) if row else {}
    known = {k: (tuple(tuple(x) if isinstance(x, list) else x for x in v)
                 if isinstance(v, list) else v)
             for k, v in stored.items() if k in FIELDS}
    return Settings(**known)


def save(db: Session, school: School, settings: Settings, by: User) -> dict:
    """Validate and store new settings; return what changed (for the audit trail)."""
    settings.policy(school.timezone)  # raises ValueError on anything the rules can't take
    unknown = set(settings.networks) - set(NETWORKS)
    if unknown:
        msg = f"Unknown networks: {', '.join(sorted(unknown))}"
        raise ValueError(msg)
    old = load(db, school)
    row = db.get(SchoolProfile, school.id) or SchoolProfile(school_id=school.id)
    new = {k: getattr(settings, k) for k in FIELDS}
    row.settings = json.dumps(new)
    row.updated_at, row.updated_by = utcnow(), by.id
    db.add(row)
    return {k: [getattr(old, k), v] for k, v in new.items() if getattr(old, k) != v}
