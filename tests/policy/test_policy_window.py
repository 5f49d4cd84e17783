"""R1: Mon–Fri 08:00–18:00 school time, DST-correct, with events and urgent news."""

from datetime import UTC, date, datetime

import pytest

from tests.policy.helpers import LONDON, at, draft
from trip_companion.policy import EventWindow, Profile, check_window, in_window, next_allowed
from trip_companion.policy.window import when

TERMS = Profile(
    term_dates=[(date(2026, 9, 2), date(2026, 10, 23)), (date(2026, 11, 2), date(2026, 12, 18))]
)


@pytest.mark.parametrize(
    ("moment", "allowed", "expected"),
    [
        (at(2026, 11, 26, 7, 59), False, "2026-11-26T08:00:00+00:00"),
        (at(2026, 11, 26, 8, 0), True, "2026-11-26T08:00:00+00:00"),
        (at(2026, 11, 26, 17, 59), True, "2026-11-26T17:59:00+00:00"),
        (at(2026, 11, 26, 18, 0), False, "2026-11-27T08:00:00+00:00"),
        (at(2026, 11, 27, 18, 30), False, "2026-11-30T08:00:00+00:00"),  # Friday -> Monday
        (at(2026, 11, 28, 9, 0), False, "2026-11-30T08:00:00+00:00"),  # Saturday
        # Clocks go forward on Sunday 29 March 2026: Monday 08:00 is BST.
        (at(2026, 3, 29, 10, 0), False, "2026-03-30T08:00:00+01:00"),
        (at(2026, 3, 27, 18, 30), False, "2026-03-30T08:00:00+01:00"),
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), False, "2026-03-30T08:00:00+01:00"),
        # Clocks go back on Sunday 25 October 2026: Monday 08:00 is GMT again.
        (at(2026, 10, 25, 10, 0), False, "2026-10-26T08:00:00+00:00"),
        (at(2026, 10, 23, 19, 0), False, "2026-10-26T08:00:00+00:00"),
        # Bank holidays: Christmas (Fri), Boxing Day observed (Mon 28 Dec), Easter.
        (at(2026, 12, 24, 18, 30), False, "2026-12-29T08:00:00+00:00"),
        (at(2026, 12, 25, 10, 0), False, "2026-12-29T08:00:00+00:00"),
        (at(2026, 4, 6, 10, 0), False, "2026-04-07T08:00:00+01:00"),  # Easter Monday
        (at(2026, 4, 2, 18, 30), False, "2026-04-07T08:00:00+01:00"),  # Good Friday next
    ],
)
def test_window_edges(moment, allowed, expected, profile):
    assert in_window(moment, profile) is allowed
    result = next_allowed(moment, profile)
    assert result.isoformat() == expected
    assert result.tzinfo is not None and result.utcoffset() == result.astimezone(LONDON).utcoffset()


def test_a_utc_time_is_read_in_school_time(profile):
    # 07:30 UTC in July is 08:30 BST: inside the window.
    assert in_window(datetime(2026, 7, 1, 7, 30, tzinfo=UTC), profile)
    assert not in_window(datetime(2026, 1, 7, 7, 30, tzinfo=UTC), profile)


def test_out_of_term_waits_for_the_first_day_of_next_term():
    half_term = at(2026, 10, 28, 10, 0)
    assert not in_window(half_term, TERMS)
    assert next_allowed(half_term, TERMS).isoformat() == "2026-11-02T08:00:00+00:00"
    [finding] = check_window(draft("Half-term news"), TERMS, half_term)
    assert "outside term" in finding.message and finding.fix == "Schedule for Mon 08:00"


def test_before_the_first_term_waits_for_it():
    summer = at(2026, 8, 20, 10, 0)
    assert next_allowed(summer, TERMS).isoformat() == "2026-09-02T08:00:00+01:00"


def test_after_the_last_term_entered_asks_for_next_years_dates():
    christmas_holidays = at(2026, 12, 21, 10, 0)
    assert not in_window(christmas_holidays, TERMS)
    assert next_allowed(christmas_holidays, TERMS).isoformat() == "2026-12-22T08:00:00+00:00"
    [finding] = check_window(draft("News"), TERMS, christmas_holidays)
    assert "add next year's" in finding.message


def test_outside_hours_is_scheduled_not_refused(profile):
    [finding] = check_window(draft("Great day"), profile, at(2026, 11, 27, 18, 30))
    assert finding.severity == "info"
    assert finding.fix == "Schedule for Mon 08:00"
    assert "(R1, Use of Twitter Policy 2018)" in finding.message


def test_inside_hours_has_nothing_to_say(profile):
    assert check_window(draft("Great day"), profile, at(2026, 11, 26, 8, 0)) == []


RESIDENTIAL = EventWindow("residential", at(2026, 11, 20, 9, 0), at(2026, 11, 22, 16, 0))


def test_a_residential_over_the_weekend_may_post_during_it(profile):
    saturday_night = at(2026, 11, 21, 20, 30)
    post = draft("Campfire songs tonight", event=RESIDENTIAL)
    assert next_allowed(saturday_night, profile, post) == saturday_night
    [finding] = check_window(post, profile, saturday_night)
    assert finding.severity == "info" and "during the residential" in finding.message
    after = at(2026, 11, 22, 17, 0)
    assert next_allowed(after, profile, post).isoformat() == "2026-11-23T08:00:00+00:00"


def test_an_event_on_a_bank_holiday_may_post():
    fixture = EventWindow("fixture", at(2026, 5, 4, 9, 0), at(2026, 5, 4, 13, 0))  # May Day
    post = draft("Kick-off soon", event=fixture)
    assert next_allowed(at(2026, 5, 4, 10, 0), Profile(), post) == at(2026, 5, 4, 10, 0)
    assert not in_window(at(2026, 5, 4, 10, 0), Profile())


def test_a_later_event_opens_before_monday(profile):
    fixture = EventWindow("fixture", at(2026, 11, 28, 10, 0), at(2026, 11, 28, 12, 0))
    post = draft("Fixture day", event=fixture)
    assert next_allowed(at(2026, 11, 27, 18, 30), profile, post) == at(2026, 11, 28, 10, 0)


def test_urgent_news_at_night_by_a_senior_leader(profile):
    night = at(2026, 11, 26, 21, 0)
    post = draft("School closed tomorrow: snow", author_role="senior_leader", urgent_reason="Snow")
    assert next_allowed(night, profile, post) == night
    [finding] = check_window(post, profile, night)
    assert finding.severity == "info" and "urgent" in finding.message


@pytest.mark.parametrize(("role", "reason"), [("staff", "Snow"), ("senior_leader", "  ")])
def test_urgent_news_needs_a_senior_role_and_a_reason(role, reason, profile):
    night = at(2026, 11, 26, 21, 0)
    post = draft("School closed tomorrow", author_role=role, urgent_reason=reason)
    assert next_allowed(night, profile, post).isoformat() == "2026-11-27T08:00:00+00:00"
    [finding] = check_window(post, profile, night)
    expected = "Only a senior leader" if role == "staff" else "needs a reason"
    assert expected in finding.message


def test_naive_times_are_refused(profile):
    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed(datetime(2026, 11, 26, 12, 0), profile)


def test_a_far_slot_names_its_date():
    assert when(at(2026, 9, 2, 8, 0), at(2026, 7, 22, 19, 0)) == "Wed 2 Sep 08:00"
    assert when(at(2026, 11, 30, 8, 0), at(2026, 11, 27, 19, 0)) == "Mon 08:00"


def test_another_region_uses_its_own_bank_holidays():
    st_andrews_day_observed = at(2026, 11, 30, 10, 0)  # Scotland only
    assert not in_window(st_andrews_day_observed, Profile(holiday_region="Scotland"))
    assert in_window(st_andrews_day_observed, Profile())
