"""check(): every rule together, the JSON shape, a 400-pupil register, the fixture template."""

import json

import pytest

from tests.policy.helpers import REGISTER, THURSDAY_NOON, at, draft
from trip_companion.policy import (
    EventWindow,
    Photo,
    Profile,
    check,
    compile_register,
    fixture_caption,
)
from trip_companion.policy.sample import sample_register

ALL_NETWORKS = Profile(networks=("x", "bluesky", "mastodon", "feed"))
BIG = sample_register(400)


def test_json_shape_is_exactly_the_contract(register):
    result = check(
        draft("Josh Smith scored"),
        register=register,
        profile=Profile(),
        at=at(2026, 11, 27, 18, 30),
    )
    shape = json.loads(result.to_json())
    assert shape == result.to_dict()
    assert set(shape) == {"findings", "allowed_now", "next_allowed"}
    assert shape["allowed_now"] is False
    assert shape["next_allowed"] == "2026-11-30T08:00:00+00:00"
    block = shape["findings"][0]
    assert {"rule", "severity", "message", "start", "end", "fix"} <= set(block)
    assert (block["rule"], block["severity"], block["start"], block["end"]) == (
        "R2",
        "block",
        0,
        10,
    )
    assert result.blocking


def test_next_allowed_carries_the_summer_offset(register):
    result = check(
        draft("Sports day photos"), register=register, profile=Profile(), at=at(2026, 6, 12, 19, 0)
    )
    assert result.to_dict()["next_allowed"] == "2026-06-15T08:00:00+01:00"


def test_a_clean_post_inside_the_window(register):
    result = check(
        draft("Year 4 had a brilliant day at the farm!"),
        register=register,
        profile=ALL_NETWORKS,
        at=THURSDAY_NOON,
    )
    assert result.findings == () and result.allowed_now and not result.blocking
    assert result.next_allowed == THURSDAY_NOON


def test_blocks_come_first():
    result = check(
        draft("Josh Smith gr8 day", photos=(Photo(None),)),
        register=REGISTER,
        profile=Profile(),
        at=at(2026, 11, 28, 10, 0),
    )
    assert [f.severity for f in result.findings] == ["block", "warn", "warn", "info"]
    assert [f.field for f in result.findings] == ["caption", "caption", "alt:0", "caption"]


def test_the_register_is_built_from_plain_pupils_once():
    assert compile_register(list(BIG)) is compile_register(list(BIG))
    index = compile_register(BIG)
    assert compile_register(index) is index and len(index) == 400


CAPTION_300 = (
    "Year 5 had a wonderful residential at Kingswood! We went orienteering in the woods, "
    "toasted marshmallows round the campfire and sang until the stars came out. Amazing "
    "Grace rang out in the chapel and we will be back in May. Special thanks to Evie Gray "
    "for leading the singing, and to lukasz too. #PrimaryRocks"
)


def test_a_300_character_caption_against_400_pupils():
    assert len(CAPTION_300) >= 300
    result = check(
        draft(CAPTION_300), register=BIG, profile=Profile(networks=("mastodon",)), at=THURSDAY_NOON
    )
    named = [
        (f.rule, CAPTION_300[f.start : f.end]) for f in result.findings if f.rule in ("R2", "R5")
    ]
    assert sorted(named) == [
        ("R2", "Evie Gray"),
        ("R2", "lukasz"),
        ("R5", "thanks to Evie Gray"),
    ]
    assert {f.rule for f in result.findings} == {"R2", "R5"}


def test_the_big_register_finds_an_accented_name_at_the_end_of_the_list():
    last = BIG[-1]
    caption = f"A lovely poem by {last.first_name.upper()} {last.surname.lower()}"
    result = check(draft(caption), register=BIG, profile=Profile(), at=THURSDAY_NOON)
    assert [f.rule for f in result.findings] == ["R2"]


SATURDAY_FIXTURE = EventWindow("fixture", at(2026, 11, 28, 9, 0), at(2026, 11, 28, 13, 0))
REGISTERS = REGISTER + BIG


@pytest.mark.parametrize(("ours", "theirs"), [(3, 1), (2, 2), (1, 3), (0, 0)])
@pytest.mark.parametrize("opponent", ["Hillside Primary", "St Mary's Primary", "Grace Academy"])
def test_fixture_results_pass_every_check(ours, theirs, opponent):
    caption = fixture_caption("U11 football", ours, theirs, opponent, hashtags=("PrimaryRocks",))
    post = draft(caption, event=SATURDAY_FIXTURE)
    result = check(post, register=REGISTERS, profile=ALL_NETWORKS, at=at(2026, 11, 28, 12, 5))
    assert [f.severity for f in result.findings] == ["info"]  # "during the fixture"
    assert result.allowed_now and not result.blocking


def test_fixture_caption_wording():
    assert fixture_caption("U11 football", 3, 1, "Hillside Primary") == (
        "Full time: U11 football 3–1 Hillside Primary. A great team performance — well played, "
        "everyone!"
    )


def test_a_pupils_name_in_a_fixture_is_still_caught():
    caption = fixture_caption("U11 football", 2, 0, "Josh Smith")
    result = check(draft(caption), register=REGISTER, profile=Profile(), at=THURSDAY_NOON)
    assert result.blocking and result.findings[0].rule == "R2"


@pytest.mark.parametrize(
    ("ours", "theirs", "opponent"), [(-1, 0, "Hillside"), (1, True, "Hillside"), (1, 0, " ")]
)
def test_fixture_caption_refuses_nonsense(ours, theirs, opponent):
    with pytest.raises(ValueError):
        fixture_caption("U11 football", ours, theirs, opponent)
