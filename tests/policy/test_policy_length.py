"""Length counted each network's way: X weights, Bluesky graphemes, Mastodon links."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy.helpers import draft
from trip_companion.policy import Profile, count, limit
from trip_companion.policy.length import check_length

FAMILY = "👨‍👩‍👧‍👦"  # seven code points, one grapheme
LONG_URL = "https://www.example.org/news/2026/11/a-very-long-article-name-about-the-trip"


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("hello", 5),
        ("café", 4),
        ("cafe\u0301", 4),  # NFC first: é is one light code point
        ("👋", 2),
        (FAMILY, 2),  # an emoji sequence weighs 2, however long
        ("🇬🇧", 2),
        ("日本語", 6),  # CJK weighs 2 each
        ("“quotes” — dash", 15),  # general punctuation ranges weigh 1
        (LONG_URL, 23),
        (f"Read more: {LONG_URL}.", 11 + 23 + 1),
        ("See school.org.uk/news", 4 + 23),  # links without a scheme too
    ],
)
def test_x_weighted_count(text, weight):
    assert count(text, "x") == weight
    assert count(text, "twitter") == weight


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [("hello", 5), (FAMILY, 1), ("🇬🇧🇫🇷", 2), ("cafe\u0301", 4), ("👍🏽", 1), ("日本語", 3)],
)
def test_bluesky_counts_graphemes(text, graphemes):
    assert count(text, "bluesky") == graphemes


def test_mastodon_counts_links_as_23_and_remote_mentions_by_user():
    assert count(f"Read {LONG_URL}", "mastodon") == 5 + 23
    assert count("Hi @author@mastodon.social", "mastodon") == 3 + 7
    assert count(FAMILY, "mastodon") == 1


def test_limits():
    assert (limit("x"), limit("bluesky"), limit("mastodon")) == (280, 300, 500)
    assert limit("mastodon", mastodon=1000) == 1000
    assert limit("x", mastodon=1000) == 280
    assert limit("feed") >= 2000 and limit("facebook") > 60_000
    with pytest.raises(ValueError, match="unknown network"):
        limit("myspace")


@pytest.mark.parametrize(
    ("caption", "network", "blocked"),
    [
        ("a" * 280, "x", False),
        ("a" * 281, "x", True),
        ("日" * 140, "x", False),
        ("日" * 141, "x", True),
        ("日" * 141, "bluesky", False),
        (FAMILY * 300, "bluesky", False),
        (FAMILY * 301, "bluesky", True),
        ("a" * 501, "mastodon", True),
    ],
)
def test_too_long_is_blocked(caption, network, blocked):
    findings = check_length(draft(caption), Profile(), (network,))
    assert bool(findings) is blocked
    assert all(f.rule == "LEN" and f.severity == "block" for f in findings)


def test_an_instance_limit_from_the_profile():
    roomy = Profile(length_limits={"mastodon": 1000})
    assert check_length(draft("a" * 900), roomy, ("mastodon",)) == []
    [finding] = check_length(draft("a" * 290), roomy, ("x",))
    assert "290 of 280" in finding.message


# Pieces of real captions: words, links with and without a scheme, emoji, CJK, punctuation.
_PIECES = ["Year", "6", "climbing", "wall!", "café", "cafe\u0301", "oakfield.sch.uk",
           "www.bbc.co.uk/news", "https://www.example.org/news/2026/11/trip",
           "(see oakfield.sch.uk/photos).", "👋", "👍🏽", FAMILY, "🇬🇧", "日本語", "“well", "done”",
           "—", "#Residential", "3-2", "@", "…"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.sampled_from([" ", "\n", " \n\n"]))
def test_x_count_agrees_with_twitter_text(pieces, glue):
    """twitter-text, X's own published rules, is the oracle for captions as people write them.

    Not used for real: its link pattern backtracks (0.1 s on 280 characters of "a.a.a…");
    ours counts the same captions in linear time.
    """
    from twitter_text import parse_tweet

    text = glue.join(pieces)
    assert count(text, "x") == parse_tweet(text).weightedLength


def test_a_caption_that_makes_twitter_text_backtrack_is_counted():
    """6,000 characters of "a.a.a…": twitter-text's link pattern takes 44 s on it."""
    assert count("a." * 3000, "x") == 6000
