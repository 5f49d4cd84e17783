"""R6 (@mentions) and R8 (Standard English: text-speak, spelling, hashtags at the end)."""

import pytest

from tests.policy.helpers import draft
from trip_companion.policy import Profile, check_language, check_mentions


def language(caption, register, profile=None):
    return check_language(draft(caption), register, profile or Profile())


def test_seed_mention_example_is_warned():
    caption = "excited about @dextnott speaking to us"
    [finding] = check_mentions(draft(caption), Profile())
    assert (finding.rule, finding.severity) == ("R6", "warn")
    assert caption[finding.start : finding.end] == "@dextnott"
    assert finding.message.endswith("(R6, Use of Twitter Policy 2018)")


@pytest.mark.parametrize(
    ("caption", "handles"),
    [
        ("Email office@school.org.uk for details", []),  # an e-mail address is not a mention
        ("Thanks @author@mastodon.social for visiting", ["@author@mastodon.social"]),
        ("Thanks @author.bsky.social!", ["@author.bsky.social"]),
        ("Follow @OurSchool for news", []),  # the school's own account, allowed in the profile
    ],
)
def test_mentions(caption, handles):
    profile = Profile(allowed_mentions=frozenset({"OurSchool"}))
    found = check_mentions(draft(caption), profile)
    assert [caption[f.start : f.end] for f in found] == handles


@pytest.mark.parametrize(
    ("caption", "flagged"),
    [
        ("gr8 day lol", [("gr8", "great"), ("lol", "leave it out")]),
        ("see u l8r", [("u", "you"), ("l8r", "later")]),
        ("OMG what a day", [("OMG", "leave it out")]),
        ("thx 4 coming 2day", [("thx", "thanks"), ("2day", "today")]),
        ("Year R and Year 6 had a great day", []),  # "R" here is Reception
        ("The Romans left Britain around 410 AD, 300 years after 100 BC", []),
        ("The U11 team won", []),
    ],
)
def test_text_speak(caption, flagged, register):
    found = [f for f in language(caption, register) if f.severity == "warn"]
    assert [(caption[f.start : f.end], f.fix) for f in found] == flagged
    assert all(
        "(R8, Social Media Code of Conduct for School Twitter Account)" in f.message for f in found
    )


@pytest.mark.parametrize(
    ("caption", "mid_text"),
    [
        ("A great day at the farm #PrimaryRocks", []),
        ("A great day at the farm #edchat #PrimaryRocks", []),
        ("A great day #PrimaryRocks https://example.org/news", []),
        ("A #PrimaryRocks day at the farm", ["#PrimaryRocks"]),
    ],
)
def test_hashtags_belong_at_the_end(caption, mid_text, register):
    found = [f for f in language(caption, register) if "Hashtags go at the end" in f.message]
    assert [caption[f.start : f.end] for f in found] == mid_text


def test_a_misspelling_is_info_with_a_suggestion(register):
    [finding] = language("We recieved a warm welcome", register)
    assert (finding.severity, finding.fix) == ("info", "received")


@pytest.mark.parametrize(
    "caption",
    [
        "Our favourite colour is grey",
        "The children organised a programme at the theatre centre",
        "We travelled to the museum and practised our maths with Mum",
        "Year 4 went abseiling and orienteering at Kingswood",  # a place, capitalised
        "Josh and Zoe went kayaking",  # pupils' names are R2's business, not spelling's
        "Don't forget the children's PE kits",
    ],
)
def test_british_english_and_proper_nouns_are_not_misspellings(caption, register):
    assert [f for f in language(caption, register) if f.severity == "info"] == []


def test_the_school_vocabulary_is_never_flagged(register):
    caption = "Kingswood was amazing"
    assert len(language(caption, register)) == 1  # a capital at the start is not a proper noun
    assert language(caption, register, Profile(vocabulary=frozenset({"Kingswood"}))) == []
