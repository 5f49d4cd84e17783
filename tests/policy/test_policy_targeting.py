"""R5: no individually targeted content; class and year-group messages pass."""

import pytest

from tests.policy.helpers import draft
from trip_companion.policy import Profile, check_targeting


def targeted(caption, register, profile=None):
    findings = check_targeting(draft(caption), register, profile or Profile())
    assert all(f.rule == "R5" and f.severity == "block" for f in findings)
    return [caption[f.start : f.end] for f in findings]


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Well done Josh a better lesson today", "Well done Josh"),  # seed 001's example
        ("Well done Tarquin, a better lesson today", "Well done Tarquin"),  # not on the register
        ("Congratulations to Amy", "Congratulations to Amy"),
        ("Congratulations to Beatrix for her certificate", "Congratulations to Beatrix"),
        ("Josh, well done!", "Josh, well done"),
        ("Thank you Josh for tidying up", "Thank you Josh"),  # registered: any cue
        ("Star of the week: Tarquin", "Star of the week: Tarquin"),
        ("Great work from Beatrix today", "Great work from Beatrix"),
        ("Huge day #WellDoneTarquin", "WellDoneTarquin"),
        ("Well done JS", "Well done JS"),
    ],
)
def test_singling_out_a_child_is_blocked(caption, expected, register):
    assert targeted(caption, register) == [expected]


@pytest.mark.parametrize(
    "caption",
    [
        "don't forget the PE kits, Year 4",  # seed 001: "Tweets to a year group ... are acceptable"
        "Well done Year 4",
        "well done everyone",
        "Well done, Year 6!",
        "Congratulations to the U11 team",
        "Congratulations Oak Class on your assembly",
        "Well done Owls",  # a class name on the register
        "Well done to Hillside Primary for a great game",
        "Thank you Mrs Patel for organising the trip",
        "Thank you Kingswood for a wonderful week",  # thanks to a place, not praise of a child
        "Thanks to PGL for having us",
        "Well done! Lunch is at twelve",
        "Huge day #WellDoneYear4",
    ],
)
def test_class_and_group_messages_pass(caption, register):
    assert targeted(caption, register) == []


def test_the_fix_praises_the_class(register):
    [finding] = check_targeting(draft("Well done Josh a better lesson today"), register, Profile())
    assert finding.fix == "Well done Year 4"
    assert finding.message.endswith("(R5, Use of Twitter Policy 2018)")


def test_a_run_together_hashtag_with_a_registered_name(register):
    [finding] = check_targeting(draft("Great day #welldonejosh"), register, Profile())
    assert finding.fix == "#WellDoneYear4"
