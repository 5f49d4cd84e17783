"""R16: approval, who may approve, overrides, and a button label that tells the truth."""

import pytest

from tests.policy.helpers import THURSDAY_NOON, at, draft
from trip_companion.policy import (
    Profile,
    action_label,
    apply_overrides,
    can_approve,
    check,
    needs_approval,
    override,
)


@pytest.mark.parametrize(
    ("role", "staff_need_approval", "expected"),
    [
        ("staff", True, True),
        ("staff", False, False),
        ("senior_leader", True, False),
        ("headteacher", True, False),
    ],
)
def test_needs_approval(role, staff_need_approval, expected):
    assert needs_approval(role, Profile(staff_need_approval=staff_need_approval)) is expected


def test_unknown_roles_are_refused():
    with pytest.raises(ValueError, match="role"):
        needs_approval("parent", Profile())


@pytest.mark.parametrize(
    ("approver", "role", "author", "expected"),
    [
        (2, "senior_leader", 1, True),
        (2, "headteacher", 1, True),
        (1, "senior_leader", 1, False),  # nobody approves their own draft
        (1, "headteacher", 1, False),
        (2, "staff", 1, False),
    ],
)
def test_can_approve(approver, role, author, expected):
    assert can_approve(approver, role, author) is expected


def report(caption, register, moment=THURSDAY_NOON, **kwargs):
    return check(draft(caption, **kwargs), register=register, profile=Profile(), at=moment)


def test_a_warning_may_be_overridden_by_a_senior_leader_with_a_reason(register):
    [warning] = report("excited about @dextnott speaking to us", register).findings
    lifted = override(warning, "senior_leader", "He is our visiting author", by_id=7)
    assert apply_overrides([warning], [lifted]) == []
    with pytest.raises(ValueError, match="senior leader"):
        override(warning, "staff", "I think it's fine")
    with pytest.raises(ValueError, match="reason"):
        override(warning, "headteacher", "  ")


def test_a_block_is_never_overridden(register):
    [block] = [f for f in report("Josh Smith scored", register).findings if f.rule == "R2"]
    with pytest.raises(ValueError, match="can't be overridden"):
        override(block, "headteacher", "Parents agreed")
    assert apply_overrides([block], []) == [block]


def test_info_never_stands_in_the_way(register):
    late = report("A great day at the farm", register, at(2026, 11, 27, 18, 30))
    assert [f.severity for f in late.findings] == ["info"]
    assert apply_overrides(late.findings, []) == []


@pytest.mark.parametrize(
    ("caption", "moment", "role", "label"),
    [
        ("A great day at the farm", THURSDAY_NOON, "headteacher", "Post now"),
        ("A great day at the farm", THURSDAY_NOON, "staff", "Send for approval"),
        (
            "A great day at the farm",
            at(2026, 11, 27, 18, 30),
            "senior_leader",
            "Schedule for Mon 08:00",
        ),
        ("A great day at the farm", at(2026, 11, 27, 18, 30), "staff", "Send for approval"),
        ("Josh Smith scored", THURSDAY_NOON, "headteacher", "Fix 1 problem first"),
        ("Josh Smith scored", THURSDAY_NOON, "staff", "Fix 1 problem first"),
        (
            "excited about @dextnott speaking",
            THURSDAY_NOON,
            "senior_leader",
            "Override 1 warning first",
        ),
    ],
)
def test_action_label_tells_the_truth(caption, moment, role, label, register):
    assert (
        action_label(report(caption, register, moment, author_role=role), role, Profile()) == label
    )


def test_after_an_override_the_senior_leader_can_post(register):
    result = report("excited about @dextnott speaking", register, author_role="senior_leader")
    lifted = [override(f, "senior_leader", "Visiting author") for f in result.findings]
    assert action_label(result, "senior_leader", Profile(), lifted) == "Post now"


def test_staff_with_a_warning_go_to_approval_even_when_trusted(register):
    trusted = Profile(staff_need_approval=False)
    result = check(
        draft("excited about @dextnott"), register=register, profile=trusted, at=THURSDAY_NOON
    )
    assert action_label(result, "staff", trusted) == "Send for approval"
    clean = check(draft("A great day"), register=register, profile=trusted, at=THURSDAY_NOON)
    assert action_label(clean, "staff", trusted) == "Post now"
