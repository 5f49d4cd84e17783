"""Words around a name that tell a child's name from an ordinary word or a place.

Shared by R2 (pupils' names) and R5 (individually targeted content): both need
to know when a capitalised word follows "Well done", or belongs to "St Mark's
Primary" rather than to a pupil called Mark.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from .text import Token, fold, joined, word_set

# Praise that singles someone out when a person follows it: "Well done Josh".
PRAISE_CUES = tuple(
    tuple(c.split())
    for c in (
        "well done",
        "congratulations",
        "congrats",
        "happy birthday",
        "shout out",
        "shoutout",
        "bravo",
        "hats off",
        "star of the week",
        "award goes",
        "prize goes",
        "trophy goes",
        "certificate goes",
        "proud of",
        "special mention",
        "great work",
        "great job",
        "good job",
        "great effort",
        "brilliant work",
        "fantastic work",
        "super work",
        "excellent work",
        "amazing work",
    )
)
# Words that address someone, often an adult or another school ("Thank you
# Kingswood"): they mark a pupil's name but don't make a stranger's word a name.
ADDRESS_CUES = tuple(tuple(c.split()) for c in ("thank you", "thanks", "well played", "good luck"))
CUES = PRAISE_CUES + ADDRESS_CUES
_BY_LAST_WORD: dict[str, list[tuple[str, ...]]] = {}
_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _cue in CUES:  # in CUES order, so the first match found is the same as scanning CUES
    _BY_LAST_WORD.setdefault(_cue[-1], []).append(_cue)
    _BY_FIRST_WORD.setdefault(_cue[0], []).append(_cue)
CONNECTORS = frozenset({"to", "from", "by"})
GROUP_WORDS = word_set("group")  # "Well done Year 4", "... everyone"
TITLES = word_set("titles")  # "Mrs Smith" is staff
ORG_WORDS = word_set("org")  # "Grace Academy", "Hillside Primary"
PLACE_MARKERS = word_set("place_markers")  # "St Mark's", "Mount Hope"
MONTHS = word_set("months")
TEMPORAL = word_set("temporal")  # "in May", "by June"
_CUE_GAP = regex.compile(r"[\s,:\-–—]*")
_VOCATIVE_GAP = regex.compile(r"\s*[,\-–—]\s*")


def cue_before(tokens: tuple[Token, ...], k: int) -> int | None:
    """Return where a cue ("Well done", "Congratulations to") just before token k starts."""
    j = k - 1
    if j < 0 or tokens[j].tag != tokens[k].tag or not _CUE_GAP.fullmatch(tokens[k].gap):
        return None
    if tokens[j].low in CONNECTORS and j > 0 and tokens[j].gap.strip() == "":
        j -= 1
    for cue in _BY_LAST_WORD.get(tokens[j].low, ()):
        first = j - len(cue) + 1
        if first >= 0 and _spells(tokens, first, cue):
            return first
    return None


def cue_after(tokens: tuple[Token, ...], k: int) -> int | None:
    """Return where a cue ends when a name is addressed first: "Josh, well done"."""
    i = k + 1
    if i >= len(tokens) or not _VOCATIVE_GAP.fullmatch(tokens[i].gap):
        return None
    for cue in _BY_FIRST_WORD.get(tokens[i].low, ()):
        if i + len(cue) <= len(tokens) and _spells(tokens, i, cue):
            return i + len(cue) - 1
    return None


def _spells(tokens: tuple[Token, ...], first: int, cue: tuple[str, ...]) -> bool:
    for offset, word in enumerate(cue):
        tok = tokens[first + offset]
        if tok.low != word or (offset and not joined(tokens[first + offset - 1], tok)):
            return False
    return True


def after_title_or_place(tokens: tuple[Token, ...], k: int) -> bool:
    """Say whether token k follows "Mrs" or "St": an adult or a place, not a pupil."""
    if k == 0 or (not joined(tokens[k - 1], tokens[k]) and tokens[k].gap.strip() != "."):
        return False
    return tokens[k - 1].low in TITLES or tokens[k - 1].low in PLACE_MARKERS


def before_org_word(tokens: tuple[Token, ...], end: int) -> bool:
    """Say whether the capitalised words from `end` lead to "Primary", "FC", "Zoo"…"""
    for j in range(end + 1, min(end + 4, len(tokens))):
        tok = tokens[j]
        if not joined(tokens[j - 1], tok) or not (tok.cap or tok.text.isdigit()):
            return False
        if tok.norm in ORG_WORDS:
            return True
    return False


@lru_cache(maxsize=64)
def folded(words: frozenset[str]) -> frozenset[str]:
    """Fold a profile's word list once, so "Zoë" in the profile matches "zoe"."""
    return frozenset(fold(w) for phrase in words for w in phrase.split())
