"""A fixture result written so that it passes every check.

A teacher at a fixture types four things on a cold touchline; the caption names
the team and the other school (a school's name is fine) and praises everyone,
never one child (R5), and stays positive after a defeat (R9). The tests run
every outcome through `check`.
"""

from __future__ import annotations

OUTCOMES = {
    "win": "A great team performance — well played, everyone!",
    "draw": "A hard-fought draw — well played, everyone!",
    "loss": "Great effort from the whole team — well played, everyone!",
}


def fixture_caption(
    team: str, ours: int, theirs: int, opponent: str, *, hashtags: tuple[str, ...] = ()
) -> str:
    """Write "Full time: U11 football 3–1 Hillside Primary. …" for a result.

    :raises ValueError: for a negative score or an empty or multi-line name.
    """
    team, opponent = _name(team, "team"), _name(opponent, "opponent")
    for score in (ours, theirs):
        if isinstance(score, bool) or not isinstance(score, int) or score < 0:
            msg = f"scores must be whole numbers of 0 or more, not {score!r}"
            raise ValueError(msg)
    outcome = "win" if ours > theirs else "draw" if ours == theirs else "loss"
    caption = f"Full time: {team} {ours}–{theirs} {opponent}. {OUTCOMES[outcome]}"
    tags = " ".join("#" + t.strip().lstrip("#") for t in hashtags if t.strip().lstrip("#"))
    return f"{caption} {tags}" if tags else caption


def _name(value: str, what: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or "\n" in value.strip():
        msg = f"the {what} needs a name on one line"
        raise ValueError(msg)
    return cleaned
