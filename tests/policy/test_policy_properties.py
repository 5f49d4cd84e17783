"""Properties over generated inputs: check never breaks, spans stay in range, time moves on."""

import json
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy.helpers import LONDON, REGISTER
from trip_companion.policy import (
    Draft,
    Photo,
    Profile,
    check,
    compile_register,
    count,
    next_allowed,
)
from trip_companion.policy.text import fold
from trip_companion.policy.window import in_window

INDEX = compile_register(REGISTER)
FAST = settings(database=None, deadline=None, max_examples=150)
WORDS = st.sampled_from(
    [
        "Josh",
        "will",
        "Will",
        "May",
        "#WellDoneJosh",
        "@dextnott",
        "gr8",
        "07700 900123",
        "Year 4",
        "well done",
        "Zoë",
        "🙂",
        "👨‍👩‍👧",
        "https://example.org",
        "St",
        "Mark's",
        "日本",
        ",",
        ".",
        "\n",
    ]
)
CAPTIONS = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=40).map(" ".join))
TIMES = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(LONDON)
)


@FAST
@given(caption=CAPTIONS, alt=st.one_of(st.none(), st.text(max_size=60)), moment=TIMES)
def test_check_never_breaks_and_spans_point_into_their_field(caption, alt, moment):
    post = Draft(caption, photos=(Photo(alt, None),))
    result = check(post, register=INDEX, profile=Profile(networks=("x", "bluesky")), at=moment)
    texts = dict(post.fields())
    for f in result.findings:
        assert f.severity in ("block", "warn", "info") and f.rule and f.message
        if f.start is not None:
            assert 0 <= f.start <= f.end <= len(texts[f.field])
    json.loads(result.to_json())


@FAST
@given(moment=TIMES)
def test_next_allowed_is_a_moment_inside_the_window_no_earlier_than_asked(moment):
    profile = Profile()
    result = next_allowed(moment, profile)
    assert result >= moment and in_window(result, profile)
    assert result == moment or result.strftime("%H:%M") == "08:00"
    assert result - moment < timedelta(days=6)


@FAST
@given(text=st.text(max_size=200))
def test_counts(text):
    assert 0 <= count(text, "bluesky") <= len(text)
    assert count(text, "mastodon") >= 0 and count(text, "x") >= 0


@FAST
@given(text=st.text(max_size=50))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text) == fold(text.upper()) or not text.isascii()
