"""R9: positive messages, no opinions, nothing derogatory or profane."""

import pytest

from tests.policy.helpers import draft
from trip_companion.policy import Photo, Profile, check_tone


def tone(caption, profile=None, **kwargs):
    return check_tone(draft(caption, **kwargs), profile or Profile())


@pytest.mark.parametrize(
    ("caption", "word"),
    [
        ("This is shit", "shit"),
        ("This is sh1t", "sh1t"),
        ("What the f*ck", "f*ck"),
        ("Oh what the hell", "hell"),
        ("Total BULLSHIT", "BULLSHIT"),
        ("#fuckoff", "fuckoff"),
    ],
)
def test_profanity_is_blocked_and_not_repeated(caption, word):
    [finding] = [f for f in tone(caption) if f.severity == "block"]
    assert caption[finding.start : finding.end] == word
    assert word not in finding.message and finding.rule == "R9"


@pytest.mark.parametrize(
    "caption",
    [
        "The organ recital in assembly was lovely",
        "Chess club: pawn to e4 and a great game",
        "Swimming lessons: breaststroke and backstroke, and one stroke at a time",
        "The pottery club made a pot for the garden",
        "Our gardening club pulled up every weed",
        "Year 6 learnt how forces like thrust help rockets fly",
        "Willy Wonka came to our World Book Day",
    ],
)
def test_school_words_on_the_profanity_list_pass(caption):
    assert [f for f in tone(caption) if f.severity == "block"] == []


def test_the_profile_vocabulary_lets_a_title_through():
    caption = "Our panto, Dick Whittington, was a triumph"
    assert len(tone(caption)) == 1
    assert tone(caption, Profile(vocabulary=frozenset({"Dick Whittington"}))) == []


def test_put_downs_and_opinions_warn():
    found = tone("The referee was stupid. I think we were robbed.")
    assert {(f.rule, f.severity) for f in found} == {("R9", "warn")}
    messages = " ".join(f.message for f in found)
    assert "puts someone down" in messages and "personal opinion" in messages


def test_a_negative_post_warns_with_the_worst_sentence():
    caption = "A good trip. Year 4's behaviour was terrible today and the teachers are angry."
    [finding] = tone(caption)
    assert finding.severity == "warn" and "tone score" in finding.message
    assert caption[finding.start : finding.end].startswith("Year 4's behaviour")


def test_urgent_news_may_be_bad_news():
    caption = "Sadly the school is closed today because of dangerous flooding. Stay safe."
    [finding] = tone(caption, author_role="headteacher", urgent_reason="Flooding")
    assert finding.severity == "info"


@pytest.mark.parametrize(
    "caption",
    [
        "What a brilliant day at the farm!",
        "The rain did not stop Year 4 having a brilliant day!",
        "Year 3 fought bravely in the tug of war.",  # VADER -0.44: above the -0.5 threshold
        "Day 182: our art display is grey and white.",  # VADER's lexicon reads "182" as slang
        "86 pupils raised £187 for the food bank.",
        "Full time: U11 football 1–3 Hillside Primary. Great effort from the whole team!",
    ],
)
def test_positive_posts_pass(caption):
    assert tone(caption) == []


def test_alt_text_is_checked_for_language():
    photos = (Photo("A shit photo of the beach", False),)
    [finding] = [f for f in tone("A day at the beach", photos=photos) if f.severity == "block"]
    assert finding.field == "alt:0"
