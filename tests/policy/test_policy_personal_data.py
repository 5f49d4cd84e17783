"""R19: no phone numbers, e-mail, home addresses, postcodes or birthdays."""

import pytest

from tests.policy.helpers import draft
from trip_companion.policy import Photo, Profile, check_personal_data


def found(caption, profile=None, **kwargs):
    findings = check_personal_data(draft(caption, **kwargs), profile or Profile())
    assert all(f.rule == "R19" and f.severity == "block" for f in findings)
    return [caption[f.start : f.end] for f in findings]


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Call Mrs Jones on 07700 900123", ["07700 900123"]),
        ("Call +44 7700 900123 today", ["+44 7700 900123"]),
        ("Ring 01234 567890 to book", ["01234 567890"]),
        ("Ring 020 7946 0958 to book", ["020 7946 0958"]),
        ("Ring +44 (0)20 7946 0958", ["+44 (0)20 7946 0958"]),
        ("Email amy.parent@example.com", ["amy.parent@example.com"]),
        ("He lives at 12 Acacia Avenue", ["12 Acacia Avenue"]),
        ("Drop-off at 3 Hillside Road, CH3 8AB", ["3 Hillside Road", "CH3 8AB"]),
        ("Born on 3 May 2015", ["Born on 3 May 2015"]),
        ("DOB: 03/05/2015", ["DOB"]),
        ("Her date of birth is on the form", ["date of birth"]),
        ("Happy birthday to Amy!", ["birthday"]),
        ("It's his bday today", ["bday"]),
        ("Sam turns 8 today", ["turns 8 today"]),
    ],
)
def test_personal_data_is_blocked(caption, expected):
    assert found(caption) == expected


@pytest.mark.parametrize(
    "caption",
    [
        "Full time: U11 football 3–1 Hillside Primary",
        "Year 4 raised £120.50 for charity",
        "The trip is on 12/03/2026 and costs £15",
        "We walked 2 miles along Park Walk with Year 4",
        "Year 4 Park Walk was lovely",
        "Class 6 Hill Walk: 10 km",
        "Meet the coach at 3PM, Y4 3PM pick-up",
        "Room 101 is the library",
        "We were born to sing!",
        "Kick-off 10:30, back by 13:00",
    ],
)
def test_ordinary_numbers_and_places_pass(caption):
    assert found(caption) == []


def test_the_schools_own_published_contacts_may_appear():
    school = Profile(public_contacts=frozenset({"01234 567890", "office@school.org.uk", "CH3 8AB"}))
    caption = "Questions? Ring 01234567890, email Office@School.org.uk, or visit CH3 8AB"
    assert found(caption, school) == []
    assert len(found(caption)) == 3


def test_alt_text_is_checked_and_the_seed_is_cited():
    photos = (Photo("A note saying call 07700 900123", False),)
    [finding] = check_personal_data(draft("A lovely day", photos=photos), Profile())
    assert finding.field == "alt:0"
    assert finding.message.endswith("(R19, Twitter (Social Media) Acceptable Use Policy 2014)")
