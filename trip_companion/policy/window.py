"""R1: post Mon–Fri 08:00–18:00 school time; outside that, schedule — don't refuse.

Exceptions (seeds 001 and 002): during the school event the post belongs to
(trip, residential, fixture, performance), and urgent school news posted by a
senior leader or the headteacher with a reason. Bank holidays (the `holidays`
package, England and Wales by default) and, where the school has entered term
dates, days outside term are not posting days unless an event covers them.
When no term is entered after a date (next year's dates not in yet), the post
is scheduled for the next weekday and the finding asks for the term dates.

All times are aware datetimes; wall-clock 08:00 in Europe/London is +00:00 in
winter and +01:00 in summer, which zoneinfo works out per day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from .model import HOLIDAY_REGIONS, SENIOR_ROLES, Draft, Finding, Profile
from .seeds import finding

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SEARCH_DAYS = 400  # the longest gap between entered terms is a summer holiday


@lru_cache(maxsize=64)
def _bank_holidays(region: str, year: int) -> dict[date, str]:
    subdiv = HOLIDAY_REGIONS[region]
    return dict(holidays.UK(subdiv=subdiv, years=year)) if subdiv else {}


def closed_because(day: date, profile: Profile) -> str | None:
    """Say why `day` is not a posting day, or None if it is one."""
    if day.weekday() not in profile.weekdays:
        return "the weekend" if day.weekday() >= 5 else f"{WEEKDAYS[day.weekday()]}s"
    holiday = _bank_holidays(profile.holiday_region, day.year).get(day)
    if holiday:
        return f"a bank holiday ({holiday})"
    if profile.term_dates and not any(a <= day <= b for a, b in profile.term_dates):
        return "outside term"
    return None


def _local(at: datetime, profile: Profile) -> datetime:
    if at.tzinfo is None:
        msg = "times must be timezone-aware"
        raise ValueError(msg)
    return at.astimezone(profile.tz)


def in_window(at: datetime, profile: Profile) -> bool:
    """Say whether `at` is inside the normal posting hours on a posting day."""
    local = _local(at, profile)
    open_hours = profile.window_start <= local.time() < profile.window_end
    return open_hours and closed_because(local.date(), profile) is None


def urgent_allowed(draft: Draft) -> bool:
    """Urgent news may go at any time, by a senior leader or the head, with a reason."""
    return bool((draft.urgent_reason or "").strip()) and draft.author_role in SENIOR_ROLES


def allowed_at(at: datetime, profile: Profile, draft: Draft | None = None) -> bool:
    """Say whether this draft may be posted at `at`."""
    if in_window(at, profile):
        return True
    return draft is not None and (
        urgent_allowed(draft) or bool(draft.event and draft.event.covers(at))
    )


def next_allowed(at: datetime, profile: Profile, draft: Draft | None = None) -> datetime:
    """Return the first moment from `at` the draft may go, in the school's time zone."""
    local = _local(at, profile)
    if allowed_at(at, profile, draft):
        return local
    candidates = [_next_opening(local, profile)]
    event = draft.event if draft else None
    if event and event.starts_at > at:
        candidates.append(event.starts_at.astimezone(profile.tz))
    return min(candidates)


def _next_opening(local: datetime, profile: Profile) -> datetime:
    if profile.term_dates and local.date() > profile.term_dates[-1][1]:
        # No term entered ahead: weekdays decide, from tomorrow (today is out of term).
        profile = replace(profile, term_dates=())
        local = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=profile.tz)
    for offset in range(_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        if closed_because(day, profile) is not None:
            continue
        opening = datetime.combine(day, profile.window_start, tzinfo=profile.tz)
        if opening >= local:
            return opening
        if local.time() < profile.window_end:
            return local
    msg = f"no posting day in the next {_SEARCH_DAYS} days: check the profile's weekdays"
    raise ValueError(msg)


def when(moment: datetime, now: datetime) -> str:
    """Say a time the way the button does: "Mon 08:00", with the date if it's far off."""
    day = DAYS[moment.weekday()]
    if moment.date() - now.date() > timedelta(days=6):
        day = f"{day} {moment.day} {MONTHS[moment.month - 1]}"
    return f"{day} {moment:%H:%M}"


def check_window(draft: Draft, profile: Profile, at: datetime) -> list[Finding]:
    """R1: say whether the draft can go now, why not, and when it will."""
    local = _local(at, profile)
    if in_window(at, profile):
        return []
    event = draft.event
    if event and event.covers(at):
        msg = f"Outside normal posting hours, but during the {event.kind}, so it can go now."
        return [finding("R1", "001", "info", msg)]
    if urgent_allowed(draft):
        msg = f"Outside normal posting hours, posted as urgent news: {draft.urgent_reason.strip()}."
        return [finding("R1", "001", "info", msg)]
    slot = when(next_allowed(at, profile, draft), local)
    msg = f"{_why_closed(local, profile)}, so it will be scheduled for {slot}."
    notes = _urgent_note(draft) + _terms_note(local, profile)
    return [finding("R1", "001", "info", msg + notes, fix=f"Schedule for {slot}")]


def _why_closed(local: datetime, profile: Profile) -> str:
    reason = closed_because(local.date(), profile)
    if reason:
        return (
            f"Posts don't go out on {reason}" if reason != "outside term" else "It's outside term"
        )
    return f"Posts go out {profile.window_start:%H:%M}–{profile.window_end:%H:%M} only"


def _terms_note(local: datetime, profile: Profile) -> str:
    if profile.term_dates and local.date() > profile.term_dates[-1][1]:
        return " No term dates are entered after this: add next year's to the profile."
    return ""


def _urgent_note(draft: Draft) -> str:
    if draft.urgent_reason is None:
        return ""
    if draft.author_role not in SENIOR_ROLES:
        return " Only a senior leader or the headteacher can post urgent news out of hours."
    return " Urgent news needs a reason."
